// Core: the start-up timeline — per-unit times from the clock and the critical chain.
import test from "ava";
import { Registry } from "../src/core/registry.js";
import { begin, fakeClock, flush } from "./helpers/core.js";

const never = () => new AbortController().signal;

/** a; b and c want a; d wants b and c. Every start is requested at t=0; b runs `bMs`, c runs `cMs`. */
async function diamond(bMs: number, cMs: number) {
  const clock = fakeClock(0);
  const registry = new Registry({ clock });
  registry.want("b", ["a"]);
  registry.want("c", ["a"]);
  registry.want("d", ["b", "c"]);
  await registry.start("a", never());
  const waits = ["b", "c", "d"].map((u) => begin(registry, u));
  clock.set(10);
  registry.complete("a");
  const [first, second] = bMs <= cMs ? (["b", "c"] as const) : (["c", "b"] as const);
  clock.set(10 + Math.min(bMs, cMs));
  registry.complete(first);
  clock.set(10 + Math.max(bMs, cMs));
  registry.complete(second);
  clock.advance(10);
  registry.complete("d");
  await Promise.all(waits.map((w) => w.promise));
  return registry;
}

test("a diamond where c takes longer than b: the critical chain is a, c, d", async (t) => {
  const registry = await diamond(10, 40);
  const timeline = registry.timeline();
  t.deepEqual(timeline.criticalChain, ["a", "c", "d"]);
  const byName = Object.fromEntries(timeline.entries.map((e) => [e.name, e]));
  t.like(byName.a, { status: "completed", registeredAt: 0, startRequestedAt: 0, startedAt: 0, finishedAt: 10 });
  t.like(byName.b, { status: "completed", registeredAt: 0, startRequestedAt: 0, startedAt: 10, finishedAt: 20 });
  t.like(byName.c, { status: "completed", registeredAt: 0, startRequestedAt: 0, startedAt: 10, finishedAt: 50 });
  t.like(byName.d, { status: "completed", registeredAt: 0, startRequestedAt: 0, startedAt: 50, finishedAt: 60 });
});

test("the same diamond where b takes longer: the critical chain is a, b, d", async (t) => {
  const registry = await diamond(40, 10);
  t.deepEqual(registry.timeline().criticalChain, ["a", "b", "d"]);
});

test("timeline entries are in registration order and include units that never started", async (t) => {
  const registry = new Registry({ clock: fakeClock(5) });
  registry.want("b", ["a"]);
  await registry.start("a", never());
  const entries = registry.timeline().entries;
  t.deepEqual(entries.map((e) => e.name), ["b", "a"]);
  t.is(entries[0]!.status, "pending");
  t.is(entries[0]!.startRequestedAt, undefined);
  t.is(entries[0]!.startedAt, undefined);
  t.false("waiter" in entries[0]!, "no internal state leaks into the timeline");
});

test("a unit whose start was requested after its dependencies were met ends the chain", async (t) => {
  const clock = fakeClock(0);
  const registry = new Registry({ clock });
  registry.want("b", ["a"]);
  await registry.start("a", never());
  clock.set(10);
  registry.complete("a");
  clock.set(30); // b's script only asks to start now: a did not hold it up
  await registry.start("b", never());
  clock.set(40);
  registry.complete("b");
  t.deepEqual(registry.timeline().criticalChain, ["b"]);
});

test("in a diamond, a late start request of the last unit ends the chain at it", async (t) => {
  const clock = fakeClock(0);
  const registry = new Registry({ clock });
  registry.want("b", ["a"]);
  registry.want("c", ["a"]);
  registry.want("d", ["b", "c"]);
  await registry.start("a", never());
  const waits = ["b", "c"].map((u) => begin(registry, u));
  clock.set(10);
  registry.complete("a");
  clock.set(20);
  registry.complete("b");
  clock.set(50);
  registry.complete("c");
  await Promise.all(waits.map((w) => w.promise));
  clock.set(55);
  await registry.start("d", never());
  clock.set(60);
  registry.complete("d");
  t.deepEqual(registry.timeline().criticalChain, ["d"]);
});

test("a failed unit that finished last is the end of the chain", async (t) => {
  const clock = fakeClock(0);
  const registry = new Registry({ clock });
  registry.want("b", ["a"]);
  await registry.start("a", never());
  const wait = begin(registry, "b");
  clock.set(10);
  registry.complete("a");
  await wait.promise;
  clock.set(70);
  registry.fail("b", "crashed");
  await flush();
  const timeline = registry.timeline();
  t.deepEqual(timeline.criticalChain, ["a", "b"]);
  t.like(timeline.entries.find((e) => e.name === "b"), { status: "failed", reason: "crashed", finishedAt: 70 });
});

test("an empty registry has an empty timeline", (t) => {
  t.deepEqual(new Registry().timeline(), { entries: [], criticalChain: [] });
});
