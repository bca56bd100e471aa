// A lock release during the agent's shutdown: the leases the shutdown itself ends stay out of the
// journal (they come back reserved for their holders), but a release its holder asked for while
// the agent stops is journalled, so after a restart the lock is free at once.
import { join } from "node:path";
import test from "ava";
import { startAgent } from "../src/agent/server.js";
import { connect } from "../src/client/client.js";
import { LockTable } from "../src/core/locks.js";
import type { LockEvent } from "../src/core/lock-request.js";
import { tempDir } from "./helpers/agent.js";

const identity = { bootId: "boot-a", pid1Start: "100" };

test("a release its holder asks for while the agent shuts down is journalled; the leases the shutdown ends come back reserved", async (t) => {
  const dir = tempDir(t);
  const socketPath = join(dir, "agent.sock");
  // A grace period far longer than the test: a lease that comes back reserved stays so while we look.
  const options = { socketPath, version: "test", journal: join(dir, "agent.journal"), journalIdentity: identity, graceMs: 200, lockGraceMs: 600_000 };
  const first = await startAgent(options);
  t.teardown(() => first.close());
  // A holder whose lease ends when it says so, not with the agent's streams: the table's seam
  // under the AcquireLocks handler, so its release lands inside the shutdown, deterministically.
  const holder = new AbortController();
  await first.context.locks.acquire({ leaseId: "mine", locks: [{ name: "dpkg", capacity: 1 }], unit: "apt", owner: "", pid: 7 }, holder.signal);
  // A lease held over a stream: the shutdown ends it.
  const client = connect(socketPath, { separate: true });
  t.teardown(() => client.close());
  const kept = client.acquireLocks({ leaseId: "kept", unit: "build", pid: 8, locks: [{ name: "builds", capacity: 1 }] })[Symbol.asyncIterator]();
  t.is((await kept.next()).value?.event.case, "granted");

  const closing = first.close(); // stops the lock table and ends every stream, then waits for them
  holder.abort(new Error("released by its holder"));
  await closing;
  await kept.next().catch(() => {});
  client.close();

  const second = await startAgent(options);
  t.teardown(() => second.close());
  const look = connect(socketPath, { separate: true });
  t.teardown(() => look.close());
  const held = (await look.listLocks({})).locks.filter((lock) => lock.holders.length > 0);
  t.deepEqual(
    held.map((lock) => [lock.name, lock.holders.map((h) => [h.leaseId, h.reserved])]),
    [["builds", [["kept", true]]]],
    "only the lease the shutdown ended is reserved",
  );
  const next = look.acquireLocks({ leaseId: "next", unit: "other", pid: 9, locks: [{ name: "dpkg", capacity: 1 }] })[Symbol.asyncIterator]();
  t.is((await next.next()).value?.event.case, "granted", "dpkg is free: granted at once, not queued");
});

test("the lock table marks only the releases of its stop's reason as the stop's", async (t) => {
  const events: LockEvent[] = [];
  const table = new LockTable({ onEvent: (event) => events.push(event) });
  const byShutdown = new AbortController();
  const byHolder = new AbortController();
  await table.acquire({ leaseId: "a", locks: [{ name: "x", capacity: 2 }], unit: "a", owner: "", pid: 1 }, byShutdown.signal);
  await table.acquire({ leaseId: "b", locks: [{ name: "x", capacity: 2 }], unit: "b", owner: "", pid: 2 }, byHolder.signal);
  const reason = new Error("shutting down");
  table.stop(reason);
  byHolder.abort(new Error("cancelled by its holder"));
  byShutdown.abort(reason);
  const released = events.filter((e) => e.kind === "lock-released").map((e) => [e.leaseId, e.byStop === true]);
  t.deepEqual(released, [
    ["b", false],
    ["a", true],
  ]);
});
