// Core: attempts — start on a completed or failed unit re-runs or retries it; every attempt is kept.
import test from "ava";
import { DependencyFailed, IllegalTransition } from "../src/core/errors.js";
import { Registry } from "../src/core/registry.js";
import { KEPT_ATTEMPTS } from "../src/core/unit-store.js";
import { begin, fakeClock, flush, snapshot } from "./helpers/core.js";

const never = () => new AbortController().signal;

test("start on a completed unit with no dependencies begins attempt 2 and starts it at once", async (t) => {
  const registry = new Registry();
  await registry.start("a", never());
  registry.complete("a");
  t.is(registry.get("a").attempt, 1);
  const result = await registry.start("a", never());
  t.like(result.unit, { status: "started", attempt: 2 });
  const changes = registry.events().filter((e) => e.kind === "status-changed").map((e) => [e.from, e.to, e.attempt]);
  t.deepEqual(changes, [
    ["not registered", "pending", 1],
    ["pending", "started", 1],
    ["started", "completed", 1],
    ["completed", "pending", 2],
    ["pending", "started", 2],
  ]);
  registry.complete("a");
  t.like(registry.get("a"), { status: "completed", attempt: 2 });
});

test("a re-run waits (pushed) for a dependency that is pending again, and satisfies no dependent until it completes", async (t) => {
  const registry = new Registry();
  registry.want("app", ["db"]);
  registry.want("web", ["app"]);
  await registry.start("db", never());
  registry.complete("db");
  await registry.start("app", never());
  registry.complete("app");
  t.true(registry.get("web").ready);

  // db re-runs: it is started, not completed, so app's re-run waits for it.
  await registry.start("db", never());
  const app = begin(registry, "app");
  await flush();
  t.is(app.state, "waiting");
  t.deepEqual(app.calls, ["waiting [db] unregistered []"]);
  t.like(registry.get("app"), { status: "pending", attempt: 2, waiting: true });
  t.false(registry.get("web").ready, "app's new attempt satisfies nothing");
  registry.complete("db");
  await flush();
  t.is(app.state, "resolved");
  t.like(registry.get("app"), { status: "started", attempt: 2 });
  registry.complete("app");
  t.true(registry.get("web").ready);
});

test("an open wait of a dependent waits again for a unit that begins a new attempt", async (t) => {
  const registry = new Registry();
  registry.want("c", ["a", "b"]);
  await registry.start("a", never());
  registry.complete("a");
  const c = begin(registry, "c");
  await flush();
  t.deepEqual(c.calls, ["waiting [b] unregistered [b]"]);
  await registry.start("a", never()); // a re-runs: c needs it completed again
  await flush();
  t.deepEqual(c.calls, ["waiting [b] unregistered [b]", "waiting [a b] unregistered [b]"]);
  await registry.start("b", never());
  registry.complete("b");
  registry.complete("a");
  await flush();
  t.is(c.state, "resolved");
});

test("start on a failed unit is a retry: its dependents are no longer blocked and wait for it", async (t) => {
  const registry = new Registry();
  registry.want("app", ["db"]);
  await registry.start("db", never());
  registry.fail("db", "boom");
  t.deepEqual(registry.get("app").blocked?.chain, ["app", "db"]);
  await registry.start("db", never());
  t.like(registry.get("db"), { status: "started", attempt: 2, reason: "" });
  t.is(registry.get("app").blocked, undefined);
  const app = begin(registry, "app");
  await flush();
  t.is(app.state, "waiting");
  registry.complete("db");
  await flush();
  t.is(app.state, "resolved");
  // A failure after the retry blocks again.
  await registry.start("db", never());
  registry.fail("db", "again");
  t.is(registry.get("db").attempt, 3);
});

test("a re-run that is blocked is refused before it begins and changes nothing", async (t) => {
  const registry = new Registry();
  registry.want("app", ["db"]);
  registry.complete("app");
  registry.want("db", ["x"]);
  registry.fail("db", "boom");
  const before = snapshot(registry);
  const error = await t.throwsAsync(async () => registry.start("app", never()), { instanceOf: DependencyFailed });
  t.is(error?.message, 'dependency "db" failed: boom');
  t.deepEqual(snapshot(registry), before);
  t.like(registry.get("app"), { status: "completed", attempt: 1 });
});

test("start on a started unit stays an error, whatever the attempt", async (t) => {
  const registry = new Registry();
  await registry.start("a", never());
  registry.complete("a");
  await registry.start("a", never());
  const before = snapshot(registry);
  const error = await t.throwsAsync(async () => registry.start("a", never()), { instanceOf: IllegalTransition });
  t.is(error?.message, 'unit "a" is already started');
  t.deepEqual(snapshot(registry), before);
});

test("a dependency declared on a completed unit applies from its next attempt", async (t) => {
  const registry = new Registry();
  registry.want("app", ["db"]);
  await registry.start("db", never());
  registry.complete("db");
  await registry.start("app", never());
  registry.complete("app");
  registry.want("app", ["cache"]);
  t.like(registry.get("app"), { status: "completed", ready: false });
  const app = begin(registry, "app");
  await flush();
  t.deepEqual(app.calls, ["waiting [cache] unregistered [cache]"]);
  registry.want("cache", ["db"]);
  registry.complete("cache");
  await flush();
  t.is(app.state, "resolved");
});

test("the timeline keeps every attempt; its chain reads the last one", async (t) => {
  const clock = fakeClock(0);
  const registry = new Registry({ clock });
  registry.want("app", ["db"]);
  await registry.start("db", never());
  clock.set(10);
  registry.complete("db");
  clock.set(20);
  await registry.start("app", never());
  clock.set(30);
  registry.fail("app", "crashed");
  clock.set(40);
  await registry.start("db", never()); // db re-runs
  const app = begin(registry, "app"); // app retries, waiting for db
  clock.set(50);
  registry.complete("db");
  await flush();
  clock.set(60);
  registry.complete("app");
  const entry = registry.timeline().entries.find((e) => e.name === "app")!;
  t.is(entry.attempt, 2);
  t.like(entry, { status: "completed", startRequestedAt: 40, startedAt: 50, finishedAt: 60 });
  t.deepEqual(entry.attempts, [
    { attempt: 1, status: "failed", reason: "crashed", beganAt: 0, startRequestedAt: 20, startedAt: 20, finishedAt: 30 },
    { attempt: 2, status: "completed", reason: "", beganAt: 40, startRequestedAt: 40, startedAt: 50, finishedAt: 60 },
  ]);
  t.deepEqual(registry.timeline().criticalChain, ["db", "app"]);
  t.is(app.state, "resolved");
});

test(`a unit keeps its last ${KEPT_ATTEMPTS} finished attempts; the number goes on`, async (t) => {
  const registry = new Registry();
  for (let i = 0; i < KEPT_ATTEMPTS + 50; i++) {
    await registry.start("loop", never());
    registry.complete("loop");
  }
  const entry = registry.timeline().entries[0]!;
  t.is(entry.attempt, KEPT_ATTEMPTS + 50);
  t.is(entry.attempts.length, KEPT_ATTEMPTS + 1);
  t.is(entry.attempts.at(-1)!.attempt, KEPT_ATTEMPTS + 50);
  t.is(entry.attempts[0]!.attempt, 50);
});
