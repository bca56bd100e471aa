// Locks in watch and timeline: lock events in the one event log, lock waits apart from dependency
// waits, and a critical chain that passes through the holder when a lock wait decided it.
import test from "ava";
import { EventKind } from "../gen/unitsync/v1/unitsync_pb.js";
import { acquireLease } from "../src/runner/lease.js";
import { eventually, withAgent } from "./helpers/agent.js";
import { cli } from "./helpers/cli.js";
import { consume } from "./helpers/streams.js";

const dpkg = [{ name: "dpkg", capacity: 0 }];

test("watch streams lock events; timeline separates the lock wait and the chain goes through the holder", async (t) => {
  const { client, socketPath, agent } = await withAgent(t);
  const stop = new AbortController();
  const watch = consume(client.watch({ units: [] }, { signal: stop.signal }));
  await watch.received(1);
  await consume(client.start({ unit: "apt-a" })).ended;
  const a = await acquireLease(client, { locks: dpkg, unit: "apt-a", timeoutMs: 0 });
  await consume(client.start({ unit: "apt-b" })).ended;
  const lines: string[] = [];
  const b = acquireLease(client, { locks: dpkg, unit: "apt-b", timeoutMs: 0, progress: (l) => lines.push(l) });
  await eventually(() => lines.length === 1, "apt-b queued");
  t.is(lines[0], 'waiting for lock "dpkg", held by "apt-a"');
  a.release();
  await client.complete({ unit: "apt-a" });
  (await b).release();
  await eventually(() => agent.context.locks.counts().holders === 0, "released");
  await client.complete({ unit: "apt-b" });

  const lockEvents = watch.messages
    .flatMap((m) => (m.message.case === "event" ? [m.message.value] : []))
    .filter((e) => e.leaseId)
    .map((e) => `${EventKind[e.kind]} ${e.unit} [${e.locks}] ${e.lockHolder}${e.lockReleasedBy ? ` after ${e.lockReleasedBy}` : ""}`);
  t.deepEqual(lockEvents, [
    "LOCK_REQUESTED apt-a [dpkg] apt-a",
    "LOCK_GRANTED apt-a [dpkg] apt-a",
    "LOCK_REQUESTED apt-b [dpkg] apt-b",
    "LOCK_RELEASED apt-a [dpkg] apt-a",
    "LOCK_GRANTED apt-b [dpkg] apt-b after apt-a",
    "LOCK_RELEASED apt-b [dpkg] apt-b",
  ]);
  stop.abort();

  const env = { UNITSYNC_SOCKET: socketPath };
  const json = JSON.parse((await cli(["timeline", "-o", "json"], env)).stdout);
  t.deepEqual(json.critical_chain, ["apt-a", "apt-b"]);
  const rowB = json.units.find((u: { unit: string }) => u.unit === "apt-b");
  t.like(rowB, { locks: ["dpkg"], lock_waited_for: "apt-a" });
  t.true(rowB.lock_waited_ms >= 0);
  t.is(rowB.waited_ms, 0, "no dependency wait: the wait was for the lock");
  const text = (await cli(["timeline"], env)).stdout;
  t.regex(text, /^UNIT\s+STATUS\s+REGISTERED\s+STARTED\s+WAITED\s+LOCK WAIT\s+RAN\s+OUTCOME\n/);
  t.regex(text, /\nLock waits:\napt-b waited \S+ for dpkg held by apt-a\n/);
  t.regex(text, /Critical chain[^\n]*\napt-a @\S+ \+\S+\n└─apt-b /);
  t.regex((await cli(["status", "apt-a"], env)).stdout, /^Unit: apt-a\n/);
});

test("without locks the timeline table keeps its columns", async (t) => {
  const { client, socketPath } = await withAgent(t);
  await consume(client.start({ unit: "solo" })).ended;
  await client.complete({ unit: "solo" });
  const text = (await cli(["timeline"], { UNITSYNC_SOCKET: socketPath })).stdout;
  t.regex(text, /^UNIT\s+STATUS\s+REGISTERED\s+STARTED\s+WAITED\s+RAN\s+OUTCOME\n/);
  t.notRegex(text, /Lock waits/);
});
