// Locks across an agent crash, over real processes: a `unitsync lock dpkg` holder rides out a
// kill -9 + restart of the agent and re-claims its lease before anyone else gets `dpkg` (a
// flock -n stand-in for dpkg's frontend lock proves no overlap); a lease nobody re-claims is
// released after --lock-grace and the next waiter is granted; a shutdown during the grace period
// leaves no timer behind.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import { type UnitSyncClient, connect } from "../src/client/client.js";
import { EventKind } from "../gen/unitsync/v1/unitsync_pb.js";
import { tempDir } from "./helpers/agent.js";
import { stopProcess } from "./helpers/agent-process.js";
import { type Spawned, spawnCli } from "./helpers/cli.js";
import { separateClient, until } from "./helpers/drill.js";

const LONG_WAIT = 120_000;

async function agentAt(t: { teardown(fn: () => Promise<void>): void }, socketPath: string, flags: string[] = []): Promise<Spawned> {
  const agent = spawnCli(["agent", "--socket", socketPath, ...flags]);
  t.teardown(async () => void (await stopProcess(agent, "SIGKILL")));
  const client = connect(socketPath);
  try {
    await until(async () => agent.child.exitCode !== null || (await client.ping({}, { deadline: new Date(Date.now() + 1_000) }), true), "the agent", LONG_WAIT);
  } finally {
    client.close();
  }
  if (agent.child.exitCode !== null) throw new Error(`the agent exited: ${agent.stderr()}`);
  return agent;
}

/** kill -9, with the agent stopped first so nothing is half done. */
async function crash(agent: Spawned): Promise<void> {
  agent.child.kill("SIGSTOP");
  agent.child.kill("SIGKILL");
  await agent.done;
}

const dpkg = async (client: UnitSyncClient) => (await client.listLocks({})).locks.find((l) => l.name === "dpkg");

const holderVerbs: [string, (socketPath: string, command: string) => string[]][] = [
  ["unitsync lock dpkg --", (socketPath, command) => ["lock", "dpkg", "--unit", "holder", "--socket", socketPath, "--", "sh", "-c", command]],
  ["unitsync run --lock dpkg", (socketPath, command) => ["run", "holder", "--lock", "dpkg", "--socket", socketPath, "--", "sh", "-c", command]],
];

/** An agent whose `dpkg` lease ("gone-lease" of unit "gone") dies with it: a bare lease stream from this process, never re-opened. */
async function crashHoldingDpkg(t: ExecutionContext, socketPath: string): Promise<void> {
  const agent = await agentAt(t, socketPath);
  const gone = separateClient(socketPath);
  const stop = new AbortController();
  const stream = gone.acquireLocks({ leaseId: "gone-lease", unit: "gone", pid: 1, locks: [{ name: "dpkg", capacity: 0 }] }, { signal: stop.signal })[
    Symbol.asyncIterator
  ]();
  t.is((await stream.next()).value?.event.case, "granted");
  await crash(agent);
  stop.abort();
  gone.close();
}

for (const [verb, holderArgv] of holderVerbs) test.serial(`locks across a crash: a holder of dpkg (${verb}) re-claims it after kill -9 + restart; the waiter runs only after it`, async (t) => {
  t.timeout(4 * LONG_WAIT);
  const dir = tempDir(t);
  const socketPath = join(dir, "agent.sock");
  const flockFile = join(dir, "dpkg-lock-frontend");
  const held = join(dir, "held");
  const go = join(dir, "go");
  let agent = await agentAt(t, socketPath);
  const holderCommand = `exec 9>'${flockFile}'; flock -n 9 || exit 100; touch '${held}'; while [ ! -e '${go}' ]; do sleep 0.05; done; echo holder done`;
  const holder = spawnCli(holderArgv(socketPath, holderCommand));
  const waiterCommand = `exec 9>'${flockFile}'; flock -n 9 || { echo "overlap: dpkg is still held" >&2; exit 100; }; echo waiter ran`;
  let waiter: Spawned | undefined;
  t.teardown(async () => {
    writeFileSync(go, "");
    await Promise.all([stopProcess(holder, "SIGKILL"), waiter && stopProcess(waiter, "SIGKILL")]);
  });
  await until(() => existsSync(held), "the holder to run its command", LONG_WAIT);
  waiter = spawnCli(["lock", "dpkg", "--unit", "waiter", "--socket", socketPath, "--", "sh", "-c", waiterCommand]);
  let client = separateClient(socketPath);
  await until(async () => ((await dpkg(client))?.queue.length ?? 0) === 1, "the waiter to queue", LONG_WAIT);
  const before = (await dpkg(client))!.holders[0]!;
  client.close();

  await crash(agent);
  agent = await agentAt(t, socketPath, ["--lock-grace", "10m"]);
  client = separateClient(socketPath);
  t.teardown(() => client.close());
  // The holder re-claims its very lease; the waiter, asked again, queues behind it.
  const show = async () =>
    t.log(`holder: ${holder.stderr()}\nwaiter: ${waiter!.stderr()}\nagent: ${agent.stderr()}\nlocks: ${JSON.stringify(await dpkg(client).catch(String), (_k, v) => (typeof v === "bigint" ? String(v) : v))}`);
  t.teardown(() => void (t.passed ? undefined : show()));
  await until(
    async () => {
      const lock = await dpkg(client);
      return lock?.holders[0]?.reserved === false && lock.queue.length === 1;
    },
    "the holder to re-claim dpkg and the waiter to queue again",
    LONG_WAIT,
  );
  const after = (await dpkg(client))!;
  t.is(after.holders.length, 1);
  t.is(after.holders[0]!.leaseId, before.leaseId, "the same lease, re-claimed");
  t.is(after.holders[0]!.holder, "holder");
  t.is(after.queue[0]!.holder, "waiter");
  t.regex(agent.stderr(), /1 lock lease\(s\) on "dpkg" reserved for their holders/);

  writeFileSync(go, "");
  const [h, w] = await Promise.all([holder.done, waiter.done]);
  t.is(h.code, 0, h.stderr);
  t.is(h.stdout, "holder done\n");
  t.regex(h.stderr, /reconnected to the agent/);
  t.notRegex(h.stderr, /lost while the command runs/);
  t.is(w.code, 0, w.stderr);
  t.is(w.stdout, "waiter ran\n");
  await until(async () => ((await dpkg(client))?.holders.length ?? 0) === 0, "both leases to end", LONG_WAIT);
  // The new agent's own events: the holder re-claimed, released, and only then the waiter was granted.
  const { events } = await client.getTimeline({});
  const lockEvents = events
    .filter((e) => e.kind === EventKind.LOCK_GRANTED || e.kind === EventKind.LOCK_RELEASED)
    .map((e) => `${e.unit} ${e.kind === EventKind.LOCK_GRANTED ? "granted" : "released"}`);
  t.deepEqual(lockEvents, ["holder granted", "holder released", "waiter granted", "waiter released"]);
  t.is((await stopProcess(agent)).code, 0);
});

test.serial("locks across a crash: a reserved lease nobody re-claims is released after --lock-grace; the next waiter is granted", async (t) => {
  t.timeout(4 * LONG_WAIT);
  const dir = tempDir(t);
  const socketPath = join(dir, "agent.sock");
  await crashHoldingDpkg(t, socketPath);

  const agent = await agentAt(t, socketPath, ["--lock-grace", "2s"]);
  const waiter = spawnCli(["lock", "dpkg", "--unit", "next", "--socket", socketPath, "--", "echo", "next ran"]);
  t.teardown(async () => void (await stopProcess(waiter, "SIGKILL")));
  const w = await waiter.done;
  t.is(w.code, 0, w.stderr);
  t.is(w.stdout, "next ran\n");
  const client = separateClient(socketPath);
  t.teardown(() => client.close());
  const { events } = await client.getTimeline({});
  const released = events.findIndex((e) => e.unit === "gone" && e.kind === EventKind.LOCK_RELEASED && /not re-claimed/.test(e.reason));
  const granted = events.findIndex((e) => e.unit === "next" && e.kind === EventKind.LOCK_GRANTED);
  t.true(released >= 0, "the unclaimed lease was released by the grace timer");
  t.true(granted > released, "the waiter was granted after the release");
  t.regex(agent.stderr(), /lock lease gone-lease of gone not re-claimed within 2000 ms; released/);
  t.is((await stopProcess(agent)).code, 0);
});

test.serial("locks across a crash: a shutdown during the grace period leaves no timer behind", async (t) => {
  t.timeout(4 * LONG_WAIT);
  const dir = tempDir(t);
  const socketPath = join(dir, "agent.sock");
  await crashHoldingDpkg(t, socketPath);
  const agent = await agentAt(t, socketPath, ["--lock-grace", "1h"]);
  const client = separateClient(socketPath);
  const lock = await dpkg(client);
  client.close();
  t.is(lock?.holders[0]?.reserved, true, "restored as reserved");
  // SIGTERM: the agent exits 0 on its own; a live grace timer would keep it running for an hour.
  const result = await stopProcess(agent, "SIGTERM", LONG_WAIT);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, /stopped/);
});

test.serial("locks across a crash: a holder whose lease the new agent did not keep is told its locks were lost, and takes none anew", async (t) => {
  t.timeout(4 * LONG_WAIT);
  const dir = tempDir(t);
  const socketPath = join(dir, "agent.sock");
  const held = join(dir, "held");
  const go = join(dir, "go");
  let agent = await agentAt(t, socketPath);
  const holder = spawnCli(["lock", "dpkg", "--unit", "holder", "--socket", socketPath, "--", "sh", "-c", `touch '${held}'; while [ ! -e '${go}' ]; do sleep 0.05; done`]);
  t.teardown(async () => {
    writeFileSync(go, "");
    await stopProcess(holder, "SIGKILL");
  });
  await until(() => existsSync(held), "the holder to run its command", LONG_WAIT);
  await crash(agent);
  // A new agent without the journal: the lease is gone, so the holder's request is a new one.
  agent = await agentAt(t, socketPath, ["--no-journal"]);
  await until(() => /the locks were lost while the command runs/.test(holder.stderr()), "the holder to hear its locks were lost", LONG_WAIT);
  t.regex(holder.stderr(), /the agent restarted and the lease was not kept for it/);
  const client = separateClient(socketPath);
  t.teardown(() => client.close());
  // The request it made again is withdrawn: nothing holds dpkg, nothing waits for it.
  await until(async () => {
    const lock = await dpkg(client);
    return (lock?.holders.length ?? 0) === 0 && (lock?.queue.length ?? 0) === 0;
  }, "the new request to be withdrawn", LONG_WAIT);
  writeFileSync(go, "");
  t.is((await holder.done).code, 0);
  t.is((await stopProcess(agent)).code, 0);
});
