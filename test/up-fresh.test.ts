// `up -f` starts its first agent empty: a journal left by an `up` that was killed (its agent
// stopped with its stdin and kept the journal) is a start-up that is over, and the next `up`
// runs every unit again instead of replaying them as completed.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { connect } from "../src/client/client.js";
import { eventually, tempDir } from "./helpers/agent.js";
import { type CliResult, type Spawned, spawnCli } from "./helpers/cli.js";
import { groupGone, numberIn } from "./helpers/process-groups.js";

const BOUND_MS = 30_000;

/** Resolves with the exit of `spawned` (not the end of its output); rejects after `limitMs`. */
function exited(spawned: Spawned, limitMs = BOUND_MS): Promise<void> {
  if (spawned.child.exitCode !== null || spawned.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pid ${spawned.child.pid} did not exit within ${limitMs} ms`)), limitMs);
    spawned.child.once("exit", () => (clearTimeout(timer), resolve()));
  });
}

/** The whole result of `spawned`, or a clear failure after `limitMs` instead of a hang. */
function ends(spawned: Spawned, limitMs = BOUND_MS): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`up did not end within ${limitMs} ms`)), limitMs)));
  return Promise.race([spawned.done, limit]).finally(() => clearTimeout(timer));
}

/** A process group to kill after the test, whatever happened. */
function killGroup(pgid: number | undefined): void {
  if (pgid === undefined) return;
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // gone already
  }
}

test("up -f after an up killed by SIGKILL runs its units again, not replayed from the journal it left", async (t) => {
  t.timeout(4 * BOUND_MS);
  const dir = tempDir(t);
  const socketPath = join(dir, "up.sock");
  const runs = join(dir, "a-runs");
  const gate = join(dir, "gate");
  const env = { HOME: dir, XDG_RUNTIME_DIR: dir, XDG_CACHE_HOME: join(dir, "cache"), NO_COLOR: "1" };
  const plan = join(dir, "unitsync.yaml");
  // a completes at once; b (after a) holds the start-up open until the gate file exists.
  writeFileSync(
    plan,
    [
      "units:",
      `  a: { run: "echo ran >> ${runs}" }`,
      `  b: { run: "echo $$ > ${dir}/b-pid; while [ ! -e ${gate} ]; do sleep 0.05; done", after: [a] }`,
    ].join("\n"),
  );
  const upArgs = ["up", "-f", plan, "--socket", socketPath, "--grace", "1s"];
  const groups: (number | undefined)[] = [];
  const children: Spawned[] = [];
  t.teardown(() => {
    writeFileSync(gate, "");
    for (const child of children) child.child.kill("SIGKILL");
    for (const pgid of groups) killGroup(pgid);
  });

  const first = spawnCli([...upArgs, "--log-dir", join(dir, "logs-1")], env);
  children.push(first);
  const bGroup = await numberIn(join(dir, "b-pid")); // b runs: a has completed
  groups.push(bGroup);
  t.is(readFileSync(runs, "utf8"), "ran\n");
  const client = connect(socketPath, { separate: true });
  const agentPid = (await client.ping({}, { deadline: new Date(Date.now() + BOUND_MS) })).pid;
  client.close();
  groups.push(agentPid); // up starts its agent in a process group of its own
  t.not(agentPid, first.child.pid);

  first.child.kill("SIGKILL");
  await exited(first);
  // Its agent stops as its stdin closes and keeps its journal; b is an orphan: the gate ends it.
  await eventually(() => groupGone(agentPid), "the killed up's agent to stop", BOUND_MS);
  t.true(existsSync(`${socketPath}.journal`), "the killed up's agent left its journal");
  writeFileSync(gate, "");
  await eventually(() => groupGone(bGroup), "the killed up's b to end", BOUND_MS);
  await ends(first);

  const second = spawnCli([...upArgs, "--log-dir", join(dir, "logs-2")], env);
  children.push(second);
  const result = await ends(second);
  t.is(result.code, 0, result.stderr + result.stdout);
  t.is(readFileSync(runs, "utf8"), "ran\nran\n", "a ran again");
  t.false(existsSync(`${socketPath}.journal`), "the up that ended removed its agent's journal");
});
