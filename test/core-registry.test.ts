// Core: the unit state machine, readiness, the derived blocked-by chain, conditions and limits.
import test from "ava";
import {
  CycleDetected,
  DependencyFailed,
  IllegalTransition,
  InvalidArgument,
  LimitExceeded,
  UnitNotFound,
} from "../src/core/errors.js";
import { Registry } from "../src/core/registry.js";
import { begin, fakeClock, flush, snapshot } from "./helpers/core.js";

const never = () => new AbortController().signal;

/** Registers `unit` and starts it (it must have no unmet dependencies). */
async function started(registry: Registry, unit: string): Promise<void> {
  const result = await registry.start(unit, never());
  if (result.unit.status !== "started") throw new Error(`${unit} did not start`);
}

// ---- the state machine ------------------------------------------------------------------------

test("pending -> started -> completed, with timestamps from the clock", async (t) => {
  const clock = fakeClock(100);
  const registry = new Registry({ clock });
  registry.want("a", ["b"]);
  t.like(registry.get("a"), { status: "pending", registeredAt: 100, changedAt: 100 });
  await started(registry, "b");
  registry.complete("b");
  clock.set(200);
  const result = await registry.start("a", never());
  t.is(result.unit.status, "started");
  t.like(registry.get("a"), { status: "started", changedAt: 200 });
  clock.set(300);
  const done = registry.complete("a");
  t.true(done.changed);
  t.like(done.unit, { status: "completed", changedAt: 300 });
});

test("complete of a completed unit is a no-op that reports changed=false", async (t) => {
  const registry = new Registry();
  await started(registry, "a");
  registry.complete("a");
  const before = snapshot(registry);
  const again = registry.complete("a");
  t.false(again.changed);
  t.is(again.unit.status, "completed");
  t.deepEqual(snapshot(registry), before, "no event, nothing changed");
});

test("a pending unit can complete or fail without starting", (t) => {
  const registry = new Registry();
  registry.want("a", ["x"]);
  registry.want("b", ["x"]);
  t.is(registry.complete("a").unit.status, "completed");
  t.is(registry.fail("b", "gave up").unit.status, "failed");
});

test("complete of a failed unit is refused and changes nothing", async (t) => {
  const registry = new Registry();
  await started(registry, "a");
  registry.fail("a", "disk full");
  const before = snapshot(registry);
  const error = t.throws(() => registry.complete("a"), { instanceOf: IllegalTransition });
  t.is(error.kind, "illegal-transition");
  t.is(error.unit, "a");
  t.regex(error.message, /already failed \(disk full\)/);
  t.deepEqual(snapshot(registry), before);
});

test("fail of a completed unit is refused and changes nothing", async (t) => {
  const registry = new Registry();
  await started(registry, "a");
  registry.complete("a");
  const before = snapshot(registry);
  const error = t.throws(() => registry.fail("a", "late"), { instanceOf: IllegalTransition });
  t.regex(error.message, /already completed/);
  t.deepEqual(snapshot(registry), before);
});

test("fail of a failed unit is a no-op that keeps the first reason", async (t) => {
  const registry = new Registry();
  await started(registry, "a");
  t.true(registry.fail("a", "first").changed);
  const before = snapshot(registry);
  const again = registry.fail("a", "second");
  t.false(again.changed);
  t.deepEqual(again.blocked, []);
  t.like(again.unit, { status: "failed", reason: "first" });
  t.deepEqual(snapshot(registry), before);
});

test("complete and fail of a never-registered unit are UnitNotFound and register nothing", (t) => {
  const registry = new Registry();
  registry.want("a", ["named-only"]);
  const before = snapshot(registry);
  for (const name of ["nobody", "named-only"]) {
    const c = t.throws(() => registry.complete(name), { instanceOf: UnitNotFound });
    t.is(c.kind, "not-found");
    t.is(c.unit, name);
    t.is(c.message, `unit "${name}" not found; declare it with "unitsync want" or "unitsync start" first`);
    t.throws(() => registry.fail(name, "why"), { instanceOf: UnitNotFound });
    t.is(registry.get(name).status, "not registered");
  }
  t.deepEqual(snapshot(registry), before);
});

test("start of a started unit is refused and changes nothing", async (t) => {
  const registry = new Registry();
  await started(registry, "s");
  const before = snapshot(registry);
  const error = await t.throwsAsync(async () => registry.start("s", never()), { instanceOf: IllegalTransition });
  t.is(error?.message, 'unit "s" is already started');
  t.is(registry.get("s").status, "started");
  t.deepEqual(snapshot(registry), before);
});

test("a second start of a unit that is already waiting is refused; the first wait goes on", async (t) => {
  const registry = new Registry();
  registry.want("b", ["a"]);
  const first = begin(registry, "b");
  const before = snapshot(registry);
  const second = begin(registry, "b");
  await flush();
  t.is(second.state, "rejected");
  t.true(second.error instanceof IllegalTransition);
  t.regex((second.error as Error).message, /already waiting to start in another call/);
  t.deepEqual(snapshot(registry), before);
  t.is(first.state, "waiting");
  t.is(registry.counts().waiters, 1);
  await started(registry, "a");
  registry.complete("a");
  await first.promise;
  t.is(registry.get("b").status, "started");
});

test("start registers a new unit with no dependencies and starts it at once", async (t) => {
  const registry = new Registry();
  const result = await registry.start("solo", never());
  t.is(result.unit.status, "started");
  t.deepEqual(result.dependencies, []);
  t.is(result.waitedMs, 0);
  t.deepEqual(registry.list().map((u) => u.name), ["solo"]);
});

// ---- readiness and blocked --------------------------------------------------------------------

test("ready: true with no dependencies, and for a name nobody registered", async (t) => {
  const registry = new Registry();
  await started(registry, "solo");
  t.true(registry.get("solo").ready);
  t.deepEqual(registry.get("ghost"), {
    name: "ghost",
    status: "not registered",
    ready: true,
    dependencies: [],
    reason: "",
    waiting: false,
    owner: "",
    attempt: 0,
  });
});

test("ready only when every dependency is completed; each dependency reports its status", async (t) => {
  const registry = new Registry();
  registry.want("ide", ["git-clone", "env-setup"]);
  t.false(registry.get("ide").ready);
  t.deepEqual(registry.get("ide").dependencies, [
    { dependsOn: "git-clone", required: "completed", current: "not registered", satisfied: false },
    { dependsOn: "env-setup", required: "completed", current: "not registered", satisfied: false },
  ]);
  await started(registry, "git-clone");
  t.is(registry.get("ide").dependencies[0]!.current, "started");
  t.false(registry.get("ide").ready);
  registry.complete("git-clone");
  t.false(registry.get("ide").ready);
  await started(registry, "env-setup");
  registry.complete("env-setup");
  t.true(registry.get("ide").ready);
  t.true(registry.get("ide").dependencies.every((d) => d.satisfied));
  t.deepEqual(registry.list().map((u) => [u.name, u.ready]), [
    ["ide", true],
    ["git-clone", true],
    ["env-setup", true],
  ]);
});

test("a failure blocks pending dependents transitively and names the chain", async (t) => {
  const registry = new Registry();
  registry.want("c", ["b"]);
  registry.want("b", ["a"]);
  await started(registry, "a");
  const result = registry.fail("a", "disk full");
  t.deepEqual(result.blocked.sort(), ["b", "c"]);
  t.deepEqual(registry.get("c").blocked, { failedUnit: "a", reason: "disk full", chain: ["c", "b", "a"] });
  t.deepEqual(registry.get("b").blocked, { failedUnit: "a", reason: "disk full", chain: ["b", "a"] });
  t.is(registry.get("a").blocked, undefined, "the failed unit itself is failed, not blocked");
  t.false(registry.get("c").ready);
  t.deepEqual(registry.list().find((u) => u.name === "c")?.blocked?.chain, ["c", "b", "a"]);
  // A unit declared later on top of a blocked one is blocked too.
  registry.want("d", ["c"]);
  t.deepEqual(registry.get("d").blocked?.chain, ["d", "c", "b", "a"]);
});

test("starting a blocked unit fails at once with the failed unit, its reason and the chain", async (t) => {
  const registry = new Registry();
  registry.want("c", ["b"]);
  registry.want("b", ["a"]);
  await started(registry, "a");
  registry.fail("a", "disk full");
  const error = await t.throwsAsync(async () => registry.start("c", never()), { instanceOf: DependencyFailed });
  t.like(error, { kind: "dependency-failed", unit: "c", failedUnit: "a", reason: "disk full" });
  t.deepEqual(error?.chain, ["c", "b", "a"]);
  t.is(error?.message, 'dependency "a" failed: disk full (via c -> b -> a)');
  t.is(registry.get("c").status, "pending");
  t.is(registry.counts().waiters, 0);
});

test("a direct failure with no reason says so", async (t) => {
  const registry = new Registry();
  registry.want("b", ["a"]);
  await started(registry, "a");
  registry.fail("a", "");
  const error = await t.throwsAsync(async () => registry.start("b", never()), { instanceOf: DependencyFailed });
  t.is(error?.message, 'dependency "a" failed: no reason given');
});

test("a unit that already started is not blocked by a later failure below it", async (t) => {
  const registry = new Registry();
  registry.want("b", ["a"], "started");
  registry.want("c", ["b"]);
  await started(registry, "a");
  await started(registry, "b");
  const result = registry.fail("a", "crashed");
  t.deepEqual(result.blocked, []);
  t.is(registry.get("b").blocked, undefined);
  t.is(registry.get("c").blocked, undefined, "b started and may still complete");
});

test("condition started: satisfied once the dependency started or completed, blocked by its failure", async (t) => {
  const registry = new Registry();
  registry.want("b", ["a"], "started");
  t.deepEqual(registry.get("b").dependencies, [
    { dependsOn: "a", required: "started", current: "not registered", satisfied: false },
  ]);
  await started(registry, "a");
  t.true(registry.get("b").ready);
  registry.complete("a");
  t.true(registry.get("b").ready);

  registry.want("d", ["c"], "started");
  registry.want("c", ["z"]);
  registry.fail("c", "no");
  t.false(registry.get("d").ready);
  t.deepEqual(registry.get("d").blocked?.chain, ["d", "c"]);
});

test("condition finished: satisfied by a completed or failed dependency and never blocked by it", async (t) => {
  const registry = new Registry();
  registry.want("cleanup", ["job"], "finished");
  registry.want("report", ["cleanup"]);
  await started(registry, "job");
  t.false(registry.get("cleanup").ready, "a started dependency has not finished");
  const failed = registry.fail("job", "exit 1");
  t.deepEqual(failed.blocked, [], "nothing waits on job over a blocking edge");
  t.true(registry.get("cleanup").ready);
  t.is(registry.get("cleanup").blocked, undefined);
  t.is(registry.get("report").blocked, undefined);
  t.deepEqual(registry.get("cleanup").dependencies, [
    { dependsOn: "job", required: "finished", current: "failed", satisfied: true },
  ]);
  const result = await registry.start("cleanup", never());
  t.is(result.unit.status, "started");
});

test("a finished edge below a blocking edge stops the blocked chain there", async (t) => {
  const registry = new Registry();
  registry.want("c", ["b"]);
  registry.want("b", ["a"], "finished");
  await started(registry, "a");
  registry.fail("a", "x");
  t.is(registry.get("c").blocked, undefined);
  t.is(registry.get("b").blocked, undefined);
  t.false(registry.get("c").ready, "c still waits for b to complete");
});

// ---- re-declaring dependencies ----------------------------------------------------------------

test("re-declaring existing dependencies of a started unit is a no-op; new ones are added for its next attempt", async (t) => {
  const registry = new Registry();
  registry.want("b", ["a"]);
  await started(registry, "a");
  registry.complete("a");
  await started(registry, "b");
  const before = snapshot(registry);
  t.like(registry.want("b", ["a"]), { status: "started", ready: true });
  t.like(registry.want("b", ["a", "a"]), { status: "started" });
  t.deepEqual(snapshot(registry), before);
  t.like(registry.want("b", ["a", "late"]), { status: "started", ready: false, attempt: 1 });
  t.deepEqual(registry.get("b").dependencies.map((d) => d.dependsOn), ["a", "late"]);
  t.is(registry.events().at(-1)?.kind, "dependencies-declared");
  t.deepEqual(registry.events().at(-1)?.dependsOn, ["late"]);
});

test("a started unit's dependency may take another condition", async (t) => {
  const registry = new Registry();
  registry.want("b", ["a"]);
  await started(registry, "a");
  registry.complete("a");
  await started(registry, "b");
  registry.want("b", ["a"], "started");
  t.is(registry.get("b").dependencies[0]!.required, "started");
  t.is(registry.get("b").status, "started");
});

test("completed and failed units accept new dependencies; cycles are still refused", async (t) => {
  const registry = new Registry();
  registry.want("c", ["x"]);
  registry.want("f", ["x"]);
  registry.complete("c");
  registry.fail("f", "no");
  const before = snapshot(registry);
  t.notThrows(() => registry.want("c", ["x"]));
  t.notThrows(() => registry.want("f", ["x"]));
  t.deepEqual(snapshot(registry), before);
  t.like(registry.want("c", ["y"]), { status: "completed" });
  t.like(registry.want("f", ["y"]), { status: "failed" });
  const cycle = snapshot(registry);
  t.throws(() => registry.want("y", ["c"]), { instanceOf: CycleDetected, message: "cycle detected: y -> c -> y" });
  t.deepEqual(snapshot(registry), cycle);
});

test("a pending unit may change an edge's condition", (t) => {
  const registry = new Registry();
  registry.want("b", ["a"]);
  registry.want("b", ["a"], "finished");
  t.is(registry.get("b").dependencies[0]!.required, "finished");
});

test("want with no dependencies is refused", (t) => {
  const registry = new Registry();
  const error = t.throws(() => registry.want("a", []), { instanceOf: InvalidArgument });
  t.is(error.kind, "invalid-argument");
  t.regex(error.message, /declares no dependencies/);
  t.is(registry.get("a").status, "not registered");
});

// ---- limits -----------------------------------------------------------------------------------

test("the unit limit counts registered and named units, and a refused call changes nothing", async (t) => {
  const registry = new Registry({ limits: { units: 3 } });
  registry.want("a", ["b"]);
  let before = snapshot(registry);
  const error = t.throws(() => registry.want("c", ["d"]), { instanceOf: LimitExceeded });
  t.is(error.kind, "limit");
  t.is(error.message, "the agent holds 2 units; the limit is 3");
  t.deepEqual(snapshot(registry), before);
  t.is(registry.get("c").status, "not registered");
  t.is(registry.get("d").status, "not registered");

  registry.want("c", ["a"]); // one new name: 3 in all
  t.notThrows(() => registry.want("c", ["b"]), "existing names do not count again");
  await started(registry, "b"); // named already: no new name
  before = snapshot(registry);
  await t.throwsAsync(async () => registry.start("e", never()), { instanceOf: LimitExceeded });
  t.throws(() => registry.want("a", ["e"]), { instanceOf: LimitExceeded });
  t.deepEqual(snapshot(registry), before);
});

test("the dependencies-per-unit limit refuses the whole declaration", (t) => {
  const registry = new Registry({ limits: { dependenciesPerUnit: 2 } });
  registry.want("a", ["b", "c"]);
  let before = snapshot(registry);
  const error = t.throws(() => registry.want("a", ["d"]), { instanceOf: LimitExceeded });
  t.is(error.message, 'unit "a" would have 3 dependencies; the limit is 2');
  t.deepEqual(snapshot(registry), before);
  t.notThrows(() => registry.want("a", ["c", "b", "b"]), "re-declaring counts nothing new");
  t.throws(() => registry.want("x", ["p", "q", "r"]), { instanceOf: LimitExceeded });
  t.throws(() => registry.want("x", ["p", "q", "p", "r"]), { instanceOf: LimitExceeded });
  t.notThrows(() => registry.want("y", ["p", "q", "p", "q"]), "duplicates count once");
  before = snapshot(registry);
  t.is(registry.get("x").status, "not registered");
  t.is(registry.get("r").status, "not registered");
  t.deepEqual(registry.get("y").dependencies.map((d) => d.dependsOn), ["p", "q"]);
  t.deepEqual(snapshot(registry), before);
});

test("a reason over the length limit is refused and the unit is unchanged", async (t) => {
  const registry = new Registry({ limits: { reasonLength: 10 } });
  await started(registry, "a");
  const before = snapshot(registry);
  const error = t.throws(() => registry.fail("a", "x".repeat(11)), { instanceOf: InvalidArgument });
  t.is(error.message, "reason is 11 characters; the limit is 10");
  t.deepEqual(snapshot(registry), before);
  t.is(registry.get("a").status, "started");
  t.like(registry.fail("a", "x".repeat(10)).unit, { status: "failed", reason: "x".repeat(10) });
});

test("a refused call leaves waiters alone", async (t) => {
  const registry = new Registry({ limits: { units: 3, reasonLength: 4 } });
  registry.want("b", ["a"]);
  const wait = begin(registry, "b");
  t.throws(() => registry.want("b", ["c", "d"]), { instanceOf: LimitExceeded });
  t.throws(() => registry.want("a", ["b"]), { instanceOf: CycleDetected });
  t.throws(() => registry.fail("b", "too long"), { instanceOf: InvalidArgument });
  await flush();
  t.deepEqual(wait.calls, ["waiting [a] unregistered [a]"]);
  t.is(wait.state, "waiting");
  t.is(registry.counts().waiters, 1);
});
