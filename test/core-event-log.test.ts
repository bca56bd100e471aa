// Core: the event log — contiguous sequence numbers, a bounded ring that drops the oldest, and subscribers.
import test from "ava";
import { EventLog, eventBytes } from "../src/core/event-log.js";
import { Registry } from "../src/core/registry.js";
import { begin, fakeClock, flush } from "./helpers/core.js";

const never = () => new AbortController().signal;

const event = (unit: string) =>
  ({ time: 0, unit, kind: "status-changed", from: "pending", to: "started", reason: "", dependsOn: [] }) as const;

test("the ring keeps the newest events, oldest first, and counts what it dropped", (t) => {
  const log = new EventLog(3);
  t.deepEqual(log.all(), []);
  t.is(log.lastSeq, 0);
  t.is(log.append(event("u1")).seq, 1);
  log.append(event("u2"));
  t.deepEqual(log.all().map((e) => e.seq), [1, 2]);
  t.is(log.dropped, 0);
  for (let i = 3; i <= 8; i++) log.append(event(`u${i}`));
  t.deepEqual(log.all().map((e) => [e.seq, e.unit]), [
    [6, "u6"],
    [7, "u7"],
    [8, "u8"],
  ]);
  t.is(log.lastSeq, 8);
  t.is(log.dropped, 5);
  t.is(log.size, 3);
});

test("the ring stays ordered through many wraps", (t) => {
  const log = new EventLog(7);
  for (let n = 1; n <= 100; n++) {
    log.append(event(`u${n}`));
    const seqs = log.all().map((e) => e.seq);
    const expected = Array.from({ length: Math.min(n, 7) }, (_, i) => n - Math.min(n, 7) + 1 + i);
    t.deepEqual(seqs, expected, `after ${n} appends`);
  }
  t.is(log.dropped, 93);
});

test("registry events: every transition, in order, with contiguous seq, time, from, to and reason", async (t) => {
  const clock = fakeClock(1_000);
  const registry = new Registry({ clock });
  registry.want("b", ["a"]);
  clock.advance(1);
  await registry.start("a", never());
  clock.advance(1);
  const wait = begin(registry, "b");
  clock.advance(1);
  registry.complete("a");
  await wait.promise;
  clock.advance(1);
  registry.fail("b", "disk full");
  const events = registry.events();
  t.deepEqual(events.map((e) => e.seq), Array.from({ length: events.length }, (_, i) => i + 1));
  t.is(registry.lastSeq, events.length);
  t.deepEqual(
    events.map((e) => [e.time, e.unit, e.kind, e.from, e.to, e.reason, e.dependsOn.join(" ")]),
    [
      [1000, "b", "status-changed", "not registered", "pending", "", ""],
      [1000, "b", "dependencies-declared", "pending", "pending", "", "a"],
      [1001, "a", "status-changed", "not registered", "pending", "", ""],
      [1001, "a", "status-changed", "pending", "started", "", ""],
      [1002, "b", "wait-began", "pending", "pending", "", "a"],
      [1003, "a", "status-changed", "started", "completed", "", ""],
      [1003, "b", "status-changed", "pending", "started", "", ""],
      [1004, "b", "status-changed", "started", "failed", "disk full", ""],
    ],
  );
});

test("a registry with a small event limit drops the oldest events and counts them", async (t) => {
  const registry = new Registry({ limits: { events: 4 } });
  for (let i = 0; i < 5; i++) {
    await registry.start(`u${i}`, never()); // 2 events each
    registry.complete(`u${i}`); // 1 event each
  }
  t.is(registry.lastSeq, 15);
  const events = registry.events();
  t.deepEqual(events.map((e) => e.seq), [12, 13, 14, 15]);
  t.deepEqual(events.map((e) => e.unit), ["u3", "u4", "u4", "u4"]);
  t.like(registry.counts(), { events: 4, droppedEvents: 11 });
  // Dropped events are only history: the units themselves are all still there.
  t.is(registry.list().length, 5);
});

test("subscribers get every event after their snapshot, in seq order, until they unsubscribe", async (t) => {
  const registry = new Registry();
  registry.want("b", ["a"]);
  const seen: number[] = [];
  const { snapshot, lastSeq, unsubscribe } = registry.subscribe((e) => seen.push(e.seq));
  t.deepEqual(snapshot.map((u) => u.name), ["b"]);
  t.is(lastSeq, 2);
  t.is(registry.listenerCount, 1);
  await registry.start("a", never());
  registry.complete("a");
  await flush();
  t.deepEqual(seen, [3, 4, 5]);
  unsubscribe();
  t.is(registry.listenerCount, 0);
  registry.fail("b", "no");
  t.deepEqual(seen, [3, 4, 5]);
  t.is(registry.lastSeq, 6);
});

test("the log is bounded by bytes as well as by count, and always keeps the newest event", (t) => {
  const one = eventBytes(event("u1"));
  const log = new EventLog(1_000, one * 3 + 10);
  for (let i = 1; i <= 10; i++) log.append(event(`u${i}`));
  t.deepEqual(log.all().map((e) => e.unit), ["u8", "u9", "u10"]);
  t.is(log.dropped, 7);
  t.true(log.bytes <= one * 3 + 10);
  const huge = { ...event("big"), reason: "x".repeat(10_000) };
  log.append(huge);
  t.deepEqual(log.all().map((e) => e.unit), ["big"], "an event over the bound alone is still kept");
  t.is(log.lastSeq, 11);
  for (let i = 0; i < 5_000; i++) log.append(event("v"));
  t.is(log.size, 3);
  t.deepEqual(log.all().map((e) => e.seq), [5_009, 5_010, 5_011]);
});

test("the registry's event log takes its byte bound from the limits", (t) => {
  const registry = new Registry({ limits: { eventBytes: 2_000 } });
  for (let i = 0; i < 100; i++) registry.want(`unit-${i}`, ["dep"]);
  const counts = registry.counts();
  t.true(counts.events < 20, `${counts.events} events kept`);
  t.is(counts.events + counts.droppedEvents, 200);
});

test("record appends another module's event to the same log, with the next seq, and delivers it to subscribers", (t) => {
  const clock = fakeClock(1_000);
  const registry = new Registry({ clock });
  registry.want("app", ["db"]);
  registry.want("db", ["base"]);
  const seen: number[] = [];
  const { unsubscribe } = registry.subscribe((e) => seen.push(e.seq));
  const before = registry.lastSeq;
  clock.advance(5);
  const recorded = registry.record({ unit: "app", kind: "wait-began", reason: "lock dpkg", detail: { lock: "dpkg", pid: 42 } });
  t.is(recorded.seq, before + 1);
  t.is(recorded.time, 1_005);
  t.is(recorded.from, "pending");
  t.is(recorded.to, "pending");
  t.deepEqual(recorded.detail, { lock: "dpkg", pid: 42 });
  registry.fail("db", "boom");
  t.deepEqual(seen, [before + 1, before + 2]);
  t.deepEqual(registry.events().at(-2), recorded);
  t.deepEqual(registry.events().map((e) => e.seq), registry.events().map((_, i) => i + 1));
  unsubscribe();
});
