// Clients ride out an agent crash: kill -9 of a real agent and a new one on the same socket and
// journal; a waiting `start` resumes, `run` keeps its command and reports when the agent is back,
// one-shot verbs retry; the same across a stop with SIGTERM and a start (an upgrade), which keeps
// the journal and the locks; --reconnect 0 exits 3 at once; agent --fresh starts empty.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { connect } from "../src/client/client.js";
import { EventKind } from "../gen/unitsync/v1/unitsync_pb.js";
import { tempDir } from "./helpers/agent.js";
import { stopProcess } from "./helpers/agent-process.js";
import { type Spawned, cli, spawnCli } from "./helpers/cli.js";
import { until } from "./helpers/drill.js";

/** A real agent on `socketPath` (journal beside it), ready once it answers. */
async function agentAt(t: import("ava").ExecutionContext, socketPath: string, flags: string[] = []): Promise<Spawned> {
  const agent = spawnCli(["agent", "--socket", socketPath, ...flags]);
  t.teardown(() => stopProcess(agent, "SIGKILL").then(() => {}));
  const client = connect(socketPath, { separate: true });
  try {
    await until(async () => agent.child.exitCode !== null || (await client.ping({}, { deadline: new Date(Date.now() + 1_000) }), true), "the agent", 45_000);
  } finally {
    client.close();
  }
  if (agent.child.exitCode !== null) throw new Error(`agent exited: ${agent.stderr()}`);
  return agent;
}

async function crash(agent: Spawned): Promise<void> {
  agent.child.kill("SIGKILL");
  await agent.done;
}

test("a waiting start, a running run and a one-shot verb ride out kill -9 and a restart of the agent", async (t) => {
  const dir = tempDir(t);
  const socketPath = join(dir, "agent.sock");
  const first = await agentAt(t, socketPath);
  const run = (argv: string[]) => cli(["--socket", socketPath, ...argv]);
  t.is((await run(["want", "ide", "git-clone"])).code, 0);
  t.is((await run(["want", "tests", "build"])).code, 0);
  t.is((await run(["start", "git-clone"])).code, 0);
  const waiting = spawnCli(["start", "ide", "--socket", socketPath, "--timeout", "2m"]);
  t.teardown(() => stopProcess(waiting, "SIGKILL").then(() => {}));
  await until(() => waiting.stdout().includes("is waiting for dependencies"), "start ide to wait", 30_000);
  // A run whose command is running when the agent dies, and finishes after it is back.
  const gate = join(dir, "gate");
  const building = spawnCli(["run", "build", "--socket", socketPath, "--", "sh", "-c", `while [ ! -e ${gate} ]; do sleep 0.05; done`]);
  t.teardown(() => stopProcess(building, "SIGKILL").then(() => {}));
  await until(async () => (await run(["status", "build"])).stdout.includes("Status: started"), "build to run", 30_000);

  await crash(first);
  t.true(existsSync(socketPath), "a crashed agent leaves its socket behind");
  // A one-shot verb while no agent answers: it waits for the new one.
  const completing = cli(["--socket", socketPath, "complete", "git-clone"]);
  const second = await agentAt(t, socketPath);
  t.regex(second.stderr(), /replayed \d+ records/);
  const completed = await completing;
  t.is(completed.code, 0, completed.stderr);
  t.is(completed.stdout, "Success\n", "Coder's stdout is unchanged");
  t.regex(completed.stderr, /complete git-clone: lost the agent on .*; reconnecting for up to 30s/);

  const started = await waiting.done;
  t.is(started.code, 0, started.stderr);
  t.regex(started.stderr, /start ide: reconnected to the agent/);
  writeFileSync(gate, "");
  const built = await building.done;
  t.is(built.code, 0, built.stderr);
  t.regex((await run(["status", "build"])).stdout, /Status: completed/);
  t.regex((await run(["status", "ide"])).stdout, /Status: started/);
  t.regex((await run(["status", "git-clone"])).stdout, /Status: completed/);
  t.regex((await run(["list"])).stdout, /tests\s+pending/);
});

test("with no agent and no socket, a verb fails at once; --reconnect 0 keeps failing at once", async (t) => {
  const dir = tempDir(t);
  const missing = await cli(["--socket", join(dir, "none.sock"), "list"]);
  t.is(missing.code, 3);
  t.regex(missing.stderr, /no agent answers on/);
  t.notRegex(missing.stderr, /reconnecting/);
  // A stale socket (a crashed agent) with --reconnect 0: today's behaviour, exit 3 at once.
  const socketPath = join(dir, "agent.sock");
  await crash(await agentAt(t, socketPath));
  const stale = await cli(["--socket", socketPath, "--reconnect", "0", "list"]);
  t.is(stale.code, 3);
  t.notRegex(stale.stderr, /reconnecting/);
  // And with a short window, it gives up after it.
  const short = await cli(["--socket", socketPath, "--reconnect", "300ms", "list"]);
  t.is(short.code, 3);
  t.regex(short.stderr, /reconnecting for up to 0s/);
});

test("an agent stopped with SIGTERM and started again (an upgrade): a waiting start and a dpkg holder ride it out, and nobody else gets dpkg in between", async (t) => {
  const dir = tempDir(t);
  const socketPath = join(dir, "agent.sock");
  const first = await agentAt(t, socketPath);
  const run = (argv: string[]) => cli(["--socket", socketPath, ...argv]);
  t.is((await run(["want", "x", "dep"])).code, 0);
  const waiting = spawnCli(["start", "x", "--socket", socketPath, "--timeout", "2m"]);
  t.teardown(() => stopProcess(waiting, "SIGKILL").then(() => {}));
  // A dpkg holder and a queued waiter; flock -n stands in for dpkg's own lock and sees any overlap.
  const flockFile = join(dir, "dpkg-lock-frontend");
  const held = join(dir, "held");
  const go = join(dir, "go");
  const holder = spawnCli(["lock", "dpkg", "--unit", "holder", "--socket", socketPath, "--", "sh", "-c",
    `exec 9>'${flockFile}'; flock -n 9 || exit 100; touch '${held}'; while [ ! -e '${go}' ]; do sleep 0.05; done; echo holder done`]);
  let waiter: Spawned | undefined;
  t.teardown(async () => {
    writeFileSync(go, "");
    await Promise.all([stopProcess(holder, "SIGKILL"), waiter && stopProcess(waiter, "SIGKILL")]);
  });
  await until(() => waiting.stdout().includes("is waiting"), "start x to wait", 45_000);
  await until(() => existsSync(held), "the holder to run its command", 45_000);
  waiter = spawnCli(["lock", "dpkg", "--unit", "waiter", "--socket", socketPath, "--", "sh", "-c",
    `exec 9>'${flockFile}'; flock -n 9 || { echo "overlap: dpkg is still held" >&2; exit 100; }; echo waiter ran`]);
  let client = connect(socketPath, { separate: true });
  const dpkg = async () => (await client.listLocks({})).locks.find((l) => l.name === "dpkg");
  await until(async () => (await dpkg())?.queue.length === 1, "the waiter to queue", 45_000);
  const lease = (await dpkg())!.holders[0]!.leaseId;
  client.close();

  first.child.kill("SIGTERM");
  const stopped = await first.done;
  t.is(stopped.code, 0, stopped.stderr);
  t.true(existsSync(`${socketPath}.journal`), "a stop keeps the journal");
  const second = await agentAt(t, socketPath, ["--lock-grace", "10m"]);
  t.regex(second.stderr(), /replayed \d+ records/);
  client = connect(socketPath, { separate: true });
  t.teardown(() => client.close());
  await until(async () => {
    const lock = await dpkg();
    return lock?.holders[0]?.reserved === false && lock.queue.length === 1;
  }, "the holder to re-claim dpkg and the waiter to queue again", 45_000);
  t.is((await dpkg())!.holders[0]!.leaseId, lease, "the same lease, re-claimed");

  t.is((await run(["start", "dep"])).code, 0);
  t.is((await run(["complete", "dep"])).code, 0);
  const started = await waiting.done;
  t.is(started.code, 0, started.stderr);
  t.is(started.stdout.split("\n").filter((l) => l.includes("finished waiting")).length, 1, "the wait ended once");
  t.regex(started.stderr, /start x: lost the agent on .*; reconnecting for up to 30s/);
  t.regex(started.stderr, /start x: reconnected to the agent/);
  writeFileSync(go, "");
  const [h, w] = await Promise.all([holder.done, waiter.done]);
  t.is(h.code, 0, h.stderr);
  t.is(h.stdout, "holder done\n");
  t.is(w.code, 0, w.stderr);
  t.is(w.stdout, "waiter ran\n");
  // The new agent's own events: the holder re-claimed, released, and only then the waiter was granted.
  const { events } = await client.getTimeline({});
  const lockEvents = events
    .filter((e) => e.kind === EventKind.LOCK_GRANTED || e.kind === EventKind.LOCK_RELEASED)
    .map((e) => `${e.unit} ${e.kind === EventKind.LOCK_GRANTED ? "granted" : "released"}`);
  t.deepEqual(lockEvents, ["holder granted", "holder released", "waiter granted", "waiter released"]);
  t.is((await run(["status", "x"])).stdout.match(/Status: (\w+)/)?.[1], "started");
});

test("with --reconnect 0 a shutdown still ends a wait at once with exit 3; agent --fresh starts empty", async (t) => {
  const dir = tempDir(t);
  const socketPath = join(dir, "agent.sock");
  const agent = await agentAt(t, socketPath);
  t.is((await cli(["--socket", socketPath, "want", "x", "dep"])).code, 0);
  const waiting = spawnCli(["start", "x", "--socket", socketPath, "--reconnect", "0"]);
  t.teardown(() => stopProcess(waiting, "SIGKILL").then(() => {}));
  await until(() => waiting.stdout().includes("is waiting"), "start x to wait", 45_000);
  agent.child.kill("SIGTERM");
  const ended = await waiting.done;
  t.is(ended.code, 3);
  t.is(ended.stderr, "unitsync: start x: agent shutting down\n");
  t.is((await agent.done).code, 0);
  t.true(existsSync(`${socketPath}.journal`), "a stop keeps the journal");
  const fresh = await agentAt(t, socketPath, ["--fresh"]);
  t.regex(fresh.stderr(), /asked to start empty \(--fresh\); starting empty/);
  const list = await cli(["--socket", socketPath, "list", "-o", "json"]);
  t.is(list.stdout.trim(), "[]", list.stderr);
});
