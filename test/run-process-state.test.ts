// What the agent shows of a unit's process while `run` runs it: the pending check and its last
// error before ready; the pid while running; exit status and time after — in status, list and the
// timeline; and the unit stays completed when a ready service later exits.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { ProcessState_Phase } from "../gen/unitsync/v1/unitsync_pb.js";
import { freePort } from "../harness/free-port.js";
import { tempDir, withAgent } from "./helpers/agent.js";
import { cli, spawnCli } from "./helpers/cli.js";
import { numberIn } from "./helpers/process-groups.js";

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  let value = await read();
  const limit = Date.now() + 45_000;
  while (!ok(value)) {
    if (Date.now() > limit) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    value = await read();
  }
  return value;
}

test("a service's pending check and its last error, then its pid, then its exit show in status, list and the timeline", async (t) => {
  const { agent, client, socketPath } = await withAgent(t);
  const port = await freePort();
  const dir = tempDir(t);
  const server = `const fs = require("fs"), dir = ${JSON.stringify(dir)};
fs.writeFileSync(dir + "/pid", String(process.pid));
const wait = () => fs.existsSync(dir + "/go") ? require("net").createServer((s) => s.destroy()).listen(${port}, "127.0.0.1") : setTimeout(wait, 20);
wait();`;
  const web = spawnCli(["run", "web", "--ready", `tcp:${port}`, "--", process.execPath, "-e", server], { UNITSYNC_SOCKET: socketPath });
  t.teardown(() => web.child.kill("SIGKILL"));
  const pid = await numberIn(join(dir, "pid"));
  const unit = () => client.getUnit({ unit: "web" }).then((r) => r.unit!);
  const pending = await until(unit, (u) => u.process?.checks[0]?.lastError === "connection refused", "the check's error");
  t.is(pending.process!.phase, ProcessState_Phase.STARTING);
  t.is(pending.process!.pid, pid);

  const status = await cli(["status", "web", "-o", "json", "--socket", socketPath]);
  const json = JSON.parse(status.stdout);
  t.is(json.status, "started");
  t.like(json.process, { state: "starting", pid, attempt: 1, max_attempts: 1, pending: `tcp:${port}: connection refused`, exit_code: null });
  t.like(json.process.checks[0], { check: `tcp:${port}`, passed: false, last_error: "connection refused" });
  const text = await cli(["status", "web", "--socket", socketPath]);
  t.regex(text.stdout, new RegExp(`^Process: starting, pid ${pid}; waiting for tcp:${port}: connection refused$`, "m"));
  const list = JSON.parse((await cli(["list", "-o", "json", "--socket", socketPath])).stdout);
  t.is(list[0].process.pending, `tcp:${port}: connection refused`);

  writeFileSync(join(dir, "go"), "");
  const ready = await until(unit, (u) => u.process?.phase === ProcessState_Phase.RUNNING, "the process to run ready");
  t.is(ready.status, 4, "completed");
  t.true(ready.process!.checks[0]!.passed);
  t.truthy(ready.process!.readyAt);
  t.regex((await cli(["status", "web", "--socket", socketPath])).stdout, new RegExp(`^Process: running, pid ${pid}, ready at `, "m"));

  web.child.kill("SIGTERM");
  t.is((await web.done).code, 143);
  const exited = (await client.getUnit({ unit: "web" })).unit!;
  t.is(exited.status, 4, "a service that exits after ready stays completed");
  t.is(exited.process!.phase, ProcessState_Phase.EXITED);
  t.is(exited.process!.exitReason, "killed by SIGTERM");
  t.is(exited.process!.exitCode, 143);
  t.truthy(exited.process!.exitedAt);
  const after = JSON.parse((await cli(["status", "web", "-o", "json", "--socket", socketPath])).stdout);
  t.like(after.process, { state: "exited", exit_code: 143, exit_reason: "killed by SIGTERM" });
  t.truthy(after.process.exited_at);

  const timeline = JSON.parse((await cli(["timeline", "-o", "json", "--socket", socketPath])).stdout);
  const row = timeline.units.find((u: { unit: string }) => u.unit === "web");
  t.true(row.ready_ms >= row.started_ms, "ready after it started");
  const entry = (await client.getTimeline({})).entries.find((e) => e.unit === "web")!;
  const ms = (x: { seconds: bigint; nanos: number } | undefined) => Number(x!.seconds) * 1_000 + x!.nanos / 1e6;
  t.true(ms(entry.process!.exitedAt) >= ms(entry.process!.readyAt), "it lived past ready");
  t.is(row.lifetime_ms, Math.round(ms(entry.process!.exitedAt) - ms(entry.process!.startedAt)));
  t.is(row.exit_reason, "killed by SIGTERM");
  // The shared event log has the process's story in order, around the unit's completion.
  const story = agent.registry
    .events()
    .filter((e) => e.unit === "web" && (e.kind.startsWith("process-") || e.to === "completed"))
    .map((e) => (e.kind === "status-changed" ? "completed" : `${e.kind}: ${e.reason}`));
  const where = (line: string) => story.indexOf(line);
  t.true(where(`process-started: pid ${pid}, attempt 1 of 1`) === 0, story.join("\n"));
  t.true(where(`process-checked: tcp:${port}: connection refused`) > 0, story.join("\n"));
  t.true(where("completed") > where(`process-checked: tcp:${port}: connection refused`), story.join("\n"));
  t.true(where(`process-ready: tcp:${port}`) > where("completed"), story.join("\n"));
  t.is(story.at(-1), "process-exited: killed by SIGTERM");
  const table = (await cli(["timeline", "--socket", socketPath])).stdout;
  t.regex(table, /READY\s+LIFETIME\s+OUTCOME/);
});

test("a step's process shows its pid while it runs and its exit status after; units nobody runs have no process", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const dir = tempDir(t);
  const step = spawnCli(["run", "step", "--", "sh", "-c", `echo $$ > ${dir}/pid; while [ ! -e ${dir}/go ]; do sleep 0.02; done; exit 0`], {
    UNITSYNC_SOCKET: socketPath,
  });
  const pid = await numberIn(join(dir, "pid"));
  const running = await until(() => client.getUnit({ unit: "step" }).then((r) => r.unit!), (u) => u.process !== undefined, "a process report");
  t.like(running.process, { phase: ProcessState_Phase.RUNNING, pid });
  writeFileSync(join(dir, "go"), "");
  t.is((await step.done).code, 0);
  const done = (await client.getUnit({ unit: "step" })).unit!;
  t.like(done.process, { phase: ProcessState_Phase.EXITED, exitCode: 0, exitReason: "" });
  t.is((await cli(["want", "plain", "step", "--socket", socketPath])).code, 0);
  const plain = JSON.parse((await cli(["status", "plain", "-o", "json", "--socket", socketPath])).stdout);
  t.false("process" in plain, "JSON of units nobody runs is as before");
});

test("ReportProcess for a unit nobody registered is NOT_FOUND and records nothing", async (t) => {
  const { client } = await withAgent(t);
  const error = await t.throwsAsync(client.reportProcess({ unit: "ghost", process: { pid: 1 } }));
  t.regex(error!.message, /NOT_FOUND|not found/);
  t.is((await client.listUnits({})).units.length, 0);
});

test("ReportProcess refuses an attempt beyond max_attempts and changes nothing", async (t) => {
  const { client } = await withAgent(t);
  await client.want({ unit: "u", dependsOn: ["d"] });
  const error = await t.throwsAsync(client.reportProcess({ unit: "u", process: { pid: 1, attempt: 3, maxAttempts: 2 } }));
  t.regex(error!.message, /attempt 3 of 2/);
  t.is((await client.getUnit({ unit: "u" })).unit!.process, undefined);
});

test("watch -o json shows the process events with the reported state", async (t) => {
  const { socketPath } = await withAgent(t);
  const watch = spawnCli(["watch", "-o", "json", "--socket", socketPath]);
  t.teardown(() => watch.child.kill("SIGKILL"));
  await until(async () => watch.stdout(), (out) => out.includes('"snapshot"'), "the snapshot");
  t.is((await spawnCli(["run", "step", "--", "sh", "-c", "exit 2"], { UNITSYNC_SOCKET: socketPath }).done).code, 2);
  const exited = await until(
    async () => watch.stdout().split("\n").filter((l) => l.includes('"process-exited"')),
    (lines) => lines.length > 0,
    "a process-exited event",
  );
  const event = JSON.parse(exited[0]!);
  t.like(event, { type: "event", unit: "step", kind: "process-exited", reason: "exit status 2" });
  t.like(event.process, { state: "exited", exit_code: 2, exit_reason: "exit status 2" });
  watch.child.kill("SIGINT");
});
