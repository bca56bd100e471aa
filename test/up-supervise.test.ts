// `up` supervises the agent it starts: a kill -9 of that agent in the middle of the start-up is
// followed at once by a new agent on the same socket and journal, `up` says so, and the start-up
// completes; at the end `up` stops its agent and leaves no process, socket or journal behind.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { connect } from "../src/client/client.js";
import { UnitStatus } from "../gen/unitsync/v1/unitsync_pb.js";
import { tempDir } from "./helpers/agent.js";
import { stopProcess } from "./helpers/agent-process.js";
import { spawnCli } from "./helpers/cli.js";
import { until } from "./helpers/drill.js";
import { writeScript } from "./helpers/ops.js";

const LONG_WAIT = 120_000;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test.serial("up: kill -9 of its agent mid start-up; up restarts it, says so, and the start-up completes", async (t) => {
  t.timeout(3 * LONG_WAIT);
  const dir = tempDir(t);
  const socketPath = join(dir, "up.sock");
  const scripts = join(dir, "scripts");
  const go = join(dir, "go");
  const aStarted = join(dir, "a-started");
  mkdirSync(scripts);
  // a holds the start-up open until the test has killed the agent; b waits for a the whole time.
  writeScript(scripts, "10-a", `unitsync start a\ntouch '${aStarted}'\nwhile [ ! -e '${go}' ]; do sleep 0.05; done\nunitsync complete a`);
  writeScript(scripts, "20-b", "unitsync want b a\nunitsync start b\necho b ran\nunitsync complete b");
  const up = spawnCli(["up", "--dir", scripts, "--log-dir", join(dir, "logs"), "--socket", socketPath]);
  t.teardown(async () => void (await stopProcess(up, "SIGKILL")));
  await until(() => existsSync(aStarted), "a to start", LONG_WAIT);
  const client = connect(socketPath, { separate: true });
  const first = (await client.ping({})).pid;
  await until(async () => (await client.ping({})).counts?.waiters === 1, "b to wait for a", LONG_WAIT);
  client.close();
  t.not(first, process.pid);
  t.not(first, up.child.pid);
  process.kill(first, "SIGKILL");
  await until(() => /the agent \(pid \d+\) was killed by SIGKILL; restarted it/.test(up.stderr()), "up to restart its agent", LONG_WAIT);
  const again = connect(socketPath, { separate: true });
  let second = 0;
  await until(async () => ((second = (await again.ping({})).pid), true), "the restarted agent to answer", LONG_WAIT);
  t.not(second, first);
  // The restarted agent replayed the start-up: a started, b still waiting for it.
  t.is((await again.getUnit({ unit: "a" })).unit?.status, UnitStatus.STARTED);
  t.is((await again.getUnit({ unit: "b" })).unit?.status, UnitStatus.PENDING);
  again.close();
  writeFileSync(go, "");
  const result = await up.done;
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, new RegExp(`the agent \\(pid ${first}\\) was killed by SIGKILL; restarted it \\(pid ${second}\\) on ${socketPath.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} with its journal`));
  t.regex(readFileSync(join(dir, "logs", "20-b.log"), "utf8"), /b ran/);
  t.regex(result.stdout, /^b\s+completed\s+ok$/m);
  t.regex(readFileSync(join(dir, "logs", "agent.log"), "utf8"), /journal .*: replayed \d+ records \(2 units\)/);
  t.false(alive(second), "up stopped the agent it restarted");
  t.false(existsSync(socketPath), "no socket left behind");
  t.false(existsSync(`${socketPath}.journal`), "no journal left behind");
});

test.serial("up killed by SIGKILL: the agent it supervises sees its pipe close and stops, leaving no socket", async (t) => {
  t.timeout(3 * LONG_WAIT);
  const dir = tempDir(t);
  const socketPath = join(dir, "up.sock");
  const scripts = join(dir, "scripts");
  const started = join(dir, "a-started");
  mkdirSync(scripts);
  const scriptPid = join(dir, "a.pid");
  writeScript(scripts, "10-a", `echo $$ > '${scriptPid}'\nunitsync start a\ntouch '${started}'\nsleep 600`);
  const up = spawnCli(["up", "--dir", scripts, "--log-dir", join(dir, "logs"), "--socket", socketPath]);
  t.teardown(async () => void (await stopProcess(up, "SIGKILL")));
  await until(() => existsSync(started), "a to start", LONG_WAIT);
  const client = connect(socketPath, { separate: true });
  const agentPid = (await client.ping({})).pid;
  client.close();
  t.teardown(() => {
    if (alive(agentPid)) process.kill(agentPid, "SIGKILL");
    // The script outlives a killed up (it leads its own process group): end it here.
    try {
      process.kill(-Number(readFileSync(scriptPid, "utf8")), "SIGKILL");
    } catch {
      // already gone
    }
  });
  up.child.kill("SIGKILL");
  await until(() => !alive(agentPid), "the agent to stop once up is gone", LONG_WAIT);
  t.regex(readFileSync(join(dir, "logs", "agent.log"), "utf8"), /standard input closed \(the supervising parent is gone\)/);
  t.false(existsSync(socketPath), "no socket left behind");
});
