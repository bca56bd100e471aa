// Core: the lock table — atomic set grants, FIFO among conflicting requests, capacities, leases
// that end with their signal, and reserved leases across an agent restart.
import { getEventListeners } from "node:events";
import test from "ava";
import { InvalidArgument, InvalidName, LockConflict } from "../src/core/errors.js";
import { type LockEvent, type LockGrant, type LockSpec, LockTable } from "../src/core/locks.js";
import { lockWaits, timelineWithLocks } from "../src/core/lock-timeline.js";
import { fakeClock, flush } from "./helpers/core.js";

let ids = 0;
const spec = (text: string): LockSpec[] =>
  text.split(",").map((s) => {
    const [name, capacity] = s.split(":");
    return { name: name!, capacity: capacity ? Number(capacity) : 0 };
  });

/** One request: its signal, whether it was granted, what it was told while queued. */
function ask(table: LockTable, locks: string, unit = "", leaseId = `lease-${++ids}`) {
  const controller = new AbortController();
  const state: { granted?: LockGrant; error?: unknown; queued: string[]; release(): void; signal: AbortSignal } = {
    queued: [],
    release: () => controller.abort(new Error("done")),
    signal: controller.signal,
  };
  table
    .acquire({ leaseId, locks: spec(locks), unit, owner: "", pid: 42 }, controller.signal, (blockers) =>
      state.queued.push(...blockers.map((b) => `${b.lock} held by [${b.heldBy.join(" ")}] ${b.queuedAhead} ahead`)),
    )
    .then(
      (grant) => (state.granted = grant),
      (error) => (state.error = error),
    );
  return state;
}

const holders = (table: LockTable) => Object.fromEntries(table.list().map((l) => [l.name, l.holders.map((h) => h.holder)]));

test("a free set is granted at once; a held lock queues the request and says who holds it", async (t) => {
  const table = new LockTable({ clock: fakeClock(100) });
  const a = ask(table, "dpkg", "apt-tools");
  await flush();
  t.deepEqual(a.granted, { locks: ["dpkg"], waitedMs: 0, reclaimed: false });
  const b = ask(table, "dpkg", "apt-b");
  await flush();
  t.is(b.granted, undefined);
  t.deepEqual(b.queued, ["dpkg held by [apt-tools] 0 ahead"]);
  const c = ask(table, "dpkg", "apt-c");
  t.deepEqual(c.queued, ["dpkg held by [apt-tools] 1 ahead"]);
  t.deepEqual(table.counts(), { locks: 1, holders: 1, queued: 2 });
  a.release();
  await flush();
  t.truthy(b.granted);
  t.is(c.granted, undefined);
  t.deepEqual(holders(table), { dpkg: ["apt-b"] });
});

test("a set is granted only when every lock is free, atomically: {x,y} and {y,x} never deadlock", async (t) => {
  const table = new LockTable();
  const x = ask(table, "x");
  const xy = ask(table, "x,y");
  const yx = ask(table, "y,x");
  const y = ask(table, "y");
  await flush();
  t.truthy(x.granted);
  // xy waits for x; yx and y queue behind xy (both share a lock with it), nothing holds y meanwhile
  t.falsy(xy.granted || yx.granted || y.granted);
  t.deepEqual(holders(table), { x: ["pid 42"], y: [] });
  x.release();
  await flush();
  t.truthy(xy.granted);
  t.falsy(yx.granted || y.granted);
  xy.release();
  await flush();
  t.truthy(yx.granted);
  yx.release();
  await flush();
  t.truthy(y.granted);
});

test("FIFO: a waiter is never overtaken by a later request that needs one of its locks", async (t) => {
  const table = new LockTable();
  const holder = ask(table, "b");
  const first = ask(table, "a,b"); // waits for b; a is free
  const later = ask(table, "a"); // would fit now, but first is ahead on a
  const unrelated = ask(table, "c");
  await flush();
  t.falsy(first.granted);
  t.falsy(later.granted);
  t.truthy(unrelated.granted);
  t.deepEqual(later.queued, ["a held by [] 1 ahead"]);
  holder.release();
  await flush();
  t.truthy(first.granted);
  t.falsy(later.granted);
  first.release();
  await flush();
  t.truthy(later.granted);
});

test("queued A then B for the same lock: A is granted before B", async (t) => {
  const events: string[] = [];
  const table = new LockTable({ onEvent: (e) => events.push(`${e.kind} ${e.unit}${e.releasedBy ? ` after ${e.releasedBy}` : ""}`) });
  const h = ask(table, "dpkg", "h");
  const a = ask(table, "dpkg", "A");
  const b = ask(table, "dpkg", "B");
  h.release();
  await flush();
  t.truthy(a.granted);
  t.falsy(b.granted);
  a.release();
  b.release();
  t.deepEqual(events, [
    "lock-requested h",
    "lock-granted h",
    "lock-requested A",
    "lock-requested B",
    "lock-released h",
    "lock-granted A after h",
    "lock-released A",
    "lock-granted B after A",
    "lock-released B",
  ]);
});

test("capacity N admits N holders; the first use fixes it and another capacity is refused, changing nothing", async (t) => {
  const table = new LockTable();
  const one = ask(table, "builds:2");
  const two = ask(table, "builds");
  const three = ask(table, "builds:2");
  await flush();
  t.truthy(one.granted && two.granted);
  t.falsy(three.granted);
  const before = JSON.stringify([table.list(), table.counts()]);
  const wrong = ask(table, "builds:3");
  await flush();
  t.true(wrong.error instanceof LockConflict);
  t.regex(String((wrong.error as Error).message), /lock "builds" has capacity 2, not 3/);
  t.is(JSON.stringify([table.list(), table.counts()]), before);
  one.release();
  await flush();
  t.truthy(three.granted);
});

test("bad lock names follow the unit-name rule; bad requests change nothing", async (t) => {
  const table = new LockTable();
  const bad = async (locks: LockSpec[], leaseId = "id", kind: new (...a: never[]) => Error = InvalidArgument) => {
    const error = await t.throwsAsync(table.acquire({ leaseId, locks, unit: "", owner: "", pid: 1 }, new AbortController().signal));
    t.true(error instanceof kind, String(error));
    return error!.message;
  };
  t.regex(await bad([{ name: "", capacity: 0 }], "id", InvalidName), /^invalid lock name/);
  t.regex(await bad([{ name: "a\nb", capacity: 0 }], "id", InvalidName), /lock names follow the unit-name rule/);
  t.regex(await bad([{ name: "ok", capacity: 0 }, { name: "x".repeat(1025), capacity: 0 }], "id", InvalidName), /invalid lock name/);
  t.regex(await bad([]), /no locks requested/);
  t.regex(await bad([{ name: "a", capacity: 0 }], ""), /lease id is empty/);
  t.regex(await bad([{ name: "a", capacity: 1 }, { name: "a", capacity: 2 }]), /named twice/);
  t.deepEqual(table.list(), []);
  t.deepEqual(table.counts(), { locks: 0, holders: 0, queued: 0 });
});

test("a cancelled waiter leaves every queue, lets later requests through, and leaves no listener", async (t) => {
  const table = new LockTable();
  const holder = ask(table, "b");
  const waiter = ask(table, "a,b");
  const later = ask(table, "a");
  await flush();
  t.falsy(later.granted);
  waiter.release();
  await flush();
  t.truthy(waiter.error);
  t.truthy(later.granted);
  t.is(getEventListeners(waiter.signal, "abort").length, 0);
  holder.release();
  later.release();
  await flush();
  t.deepEqual(table.counts(), { locks: 2, holders: 0, queued: 0 });
  t.deepEqual(table.leaseList(), []);
  t.is(getEventListeners(holder.signal, "abort").length, 0);
});

test("an already-aborted signal is refused at once and leaves nothing", async (t) => {
  const table = new LockTable();
  const controller = new AbortController();
  controller.abort(new Error("gone"));
  await t.throwsAsync(table.acquire({ leaseId: "x", locks: spec("a"), unit: "", owner: "", pid: 1 }, controller.signal), { message: "gone" });
  t.deepEqual(table.counts(), { locks: 0, holders: 0, queued: 0 });
});

test("a lease id in use is refused", async (t) => {
  const table = new LockTable();
  const a = ask(table, "a", "", "same");
  const b = ask(table, "c", "", "same");
  await flush();
  t.truthy(a.granted);
  t.true(b.error instanceof LockConflict);
  t.deepEqual(table.counts(), { locks: 1, holders: 1, queued: 0 });
});

test("restore: a reserved lease holds its locks, is re-claimed at once by its id, or released when the grace ends", async (t) => {
  const events: LockEvent[] = [];
  const table = new LockTable({ onEvent: (e) => events.push(e) });
  table.restoreHeld("L1", spec("dpkg"), { unit: "apt-a", holder: "apt-a", pid: 7, grantedAt: 5 });
  table.restoreHeld("L2", spec("builds:2"), { unit: "", holder: "make", pid: 8 });
  t.deepEqual(table.list()[0]!.holders.map((h) => [h.leaseId, h.reserved]), [["L2", true]]);
  const waiting = ask(table, "dpkg", "apt-b");
  await flush();
  t.falsy(waiting.granted);
  // a re-claim with another set is refused; with the same set it is granted at once, ahead of the queue
  const wrong = ask(table, "dpkg,x", "apt-a", "L1");
  await flush();
  t.true(wrong.error instanceof LockConflict);
  const again = ask(table, "dpkg", "apt-a", "L1");
  await flush();
  t.deepEqual(again.granted, { locks: ["dpkg"], waitedMs: 0, reclaimed: true });
  t.false(table.releaseReserved("L1")); // re-claimed: no longer reserved
  again.release();
  await flush();
  t.truthy(waiting.granted);
  t.true(table.releaseReserved("L2"));
  t.false(table.releaseReserved("L2"));
  t.deepEqual(
    events.filter((e) => /^L\d$/.test(e.leaseId)).map((e) => `${e.kind} ${e.leaseId}`),
    ["lock-granted L1", "lock-released L1", "lock-released L2"],
  );
  waiting.release();
  await flush();
  t.deepEqual(table.counts(), { locks: 2, holders: 0, queued: 0 });
});

test("status and timeline: locks of a unit, and who it waited for", async (t) => {
  const clock = fakeClock(1_000);
  const table = new LockTable({ clock });
  const a = ask(table, "dpkg", "apt-a");
  const b = ask(table, "dpkg,x", "apt-b");
  t.deepEqual(table.locksOf("apt-b"), { held: [], waiting: ["dpkg", "x"] });
  clock.advance(4_100);
  a.release();
  await flush();
  t.deepEqual(table.locksOf("apt-b"), { held: ["dpkg", "x"], waiting: [] });
  t.like(table.unitRecords().get("apt-b"), { requestedAt: 1_000, grantedAt: 5_100, waitedFor: { holder: "apt-a", unit: "apt-a" } });
  t.like(table.unitRecords().get("apt-a"), { requestedAt: 1_000, grantedAt: 1_000, releasedAt: 5_100 });
  t.is(table.unitRecords().get("apt-a")!.waitedFor, undefined);
  b.release();
});

test("the critical chain goes through the holder when a lock wait decided when a unit ran", (t) => {
  const entries = [
    { name: "git-clone", status: "completed" as const, reason: "", registeredAt: 0, startRequestedAt: 0, startedAt: 0, finishedAt: 50, attempt: 1, attempts: [] },
    { name: "apt-a", status: "completed" as const, reason: "", registeredAt: 0, startRequestedAt: 0, startedAt: 60, finishedAt: 4_000, attempt: 1, attempts: [] },
    { name: "apt-b", status: "completed" as const, reason: "", registeredAt: 0, startRequestedAt: 0, startedAt: 60, finishedAt: 5_000, attempt: 1, attempts: [] },
  ];
  const edges = [
    { unit: "apt-a", dependsOn: "git-clone", required: "completed" as const },
    { unit: "apt-b", dependsOn: "git-clone", required: "completed" as const },
  ];
  const base = { entries, criticalChain: ["git-clone", "apt-b"] };
  t.deepEqual(timelineWithLocks(base, edges, new Map()).criticalChain, ["git-clone", "apt-b"]);
  const locks = new Map([
    ["apt-a", { leaseId: "a", locks: ["dpkg"], requestedAt: 60, grantedAt: 60, releasedAt: 4_000 }],
    ["apt-b", { leaseId: "b", locks: ["dpkg"], requestedAt: 60, grantedAt: 4_000, waitedFor: { holder: "apt-a", unit: "apt-a" } }],
  ]);
  t.deepEqual(timelineWithLocks(base, edges, locks).criticalChain, ["git-clone", "apt-a", "apt-b"]);
  t.deepEqual(lockWaits(base, locks), [{ unit: "apt-b", locks: ["dpkg"], waitedMs: 3_940, holder: "apt-a" }]);
  // a lock granted before the last dependency was met decided nothing: the dependency did
  const early = new Map([["apt-b", { leaseId: "b", locks: ["dpkg"], requestedAt: 0, grantedAt: 40, waitedFor: { holder: "apt-a", unit: "apt-a" } }]]);
  t.deepEqual(timelineWithLocks(base, edges, early).criticalChain, ["git-clone", "apt-b"]);
});
