// Core: Start waiters — pushed progress, failure and abort end the wait at once, no leftovers.
import { getEventListeners } from "node:events";
import test from "ava";
import { DependencyFailed, IllegalTransition } from "../src/core/errors.js";
import { Registry } from "../src/core/registry.js";
import { begin, fakeClock, flush, snapshot } from "./helpers/core.js";

const never = () => new AbortController().signal;

async function started(registry: Registry, unit: string): Promise<void> {
  await registry.start(unit, never());
}

const abortListeners = (signal: AbortSignal) => getEventListeners(signal, "abort").length;

test("start waits until every dependency completes, reporting each in order", async (t) => {
  const clock = fakeClock(1_000);
  const registry = new Registry({ clock });
  registry.want("ide", ["git-clone", "env-setup"]);
  await started(registry, "env-setup");
  const controller = new AbortController();
  const wait = begin(registry, "ide", controller.signal);
  t.deepEqual(wait.calls, ["waiting [git-clone env-setup] unregistered [git-clone]"]);
  t.like(registry.get("ide"), { status: "pending", waiting: true });
  t.is(registry.counts().waiters, 1);

  clock.advance(100);
  registry.complete("env-setup");
  await flush();
  t.deepEqual(wait.calls.slice(1), ["satisfied env-setup completed unmet [git-clone]"]);
  t.is(wait.state, "waiting");

  clock.advance(100);
  await started(registry, "git-clone");
  await flush();
  t.is(wait.calls.length, 2, "a started dependency does not satisfy a completed edge");
  t.is(wait.state, "waiting");

  clock.advance(50);
  registry.complete("git-clone");
  t.is(registry.get("ide").status, "started", "the unit is started by the complete itself");
  const result = await wait.promise;
  t.deepEqual(wait.calls.slice(2), ["satisfied git-clone completed unmet []"]);
  t.is(result.unit.status, "started");
  t.deepEqual(result.dependencies, ["git-clone", "env-setup"]);
  t.is(result.waitedMs, 250);
  t.is(registry.counts().waiters, 0);
  t.false(registry.get("ide").waiting);
  t.is(abortListeners(controller.signal), 0, "the abort listener is removed");
  controller.abort(new Error("late"));
  await flush();
  t.is(registry.get("ide").status, "started", "a later abort has no effect");
});

test("a dependency that failed before the wait fails start at once, transitively", async (t) => {
  const registry = new Registry();
  registry.want("c", ["b"]);
  registry.want("b", ["a"]);
  await started(registry, "a");
  registry.fail("a", "disk full");
  const controller = new AbortController();
  const wait = begin(registry, "c", controller.signal);
  await flush();
  t.is(wait.state, "rejected");
  t.true(wait.error instanceof DependencyFailed);
  t.like(wait.error, { failedUnit: "a", reason: "disk full", chain: ["c", "b", "a"] });
  t.deepEqual(wait.calls, [], "no waiting message for a wait that never began");
  t.is(registry.counts().waiters, 0);
  t.is(abortListeners(controller.signal), 0);
});

test("a dependency that fails during the wait ends it at once, transitively, with the chain", async (t) => {
  const registry = new Registry();
  registry.want("c", ["b"]);
  registry.want("b", ["a"]);
  await started(registry, "a");
  const controller = new AbortController();
  const wait = begin(registry, "c", controller.signal);
  t.is(registry.counts().waiters, 1);
  const result = registry.fail("a", "disk full");
  t.deepEqual(result.blocked.sort(), ["b", "c"]);
  t.is(registry.counts().waiters, 0, "the waiter is gone as soon as fail returns");
  t.false(registry.get("c").waiting);
  await flush();
  t.is(wait.state, "rejected");
  t.true(wait.error instanceof DependencyFailed);
  t.is((wait.error as Error).message, 'dependency "a" failed: disk full (via c -> b -> a)');
  t.is(registry.get("c").status, "pending");
  t.is(abortListeners(controller.signal), 0);
  const ended = registry.events().filter((e) => e.kind === "wait-ended");
  t.deepEqual(ended.map((e) => [e.unit, e.reason]), [["c", 'dependency "a" failed: disk full (via c -> b -> a)']]);
});

test("every waiter blocked by one failure ends, and unrelated waiters go on", async (t) => {
  const registry = new Registry();
  registry.want("b", ["a"]);
  registry.want("c", ["b"]);
  registry.want("d", ["a", "other"]);
  registry.want("e", ["other"]);
  await started(registry, "a");
  const waits = Object.fromEntries(["b", "c", "d", "e"].map((u) => [u, begin(registry, u)]));
  t.is(registry.counts().waiters, 4);
  registry.fail("a", "oops");
  await flush();
  t.deepEqual(
    Object.entries(waits).map(([u, w]) => [u, w.state]),
    [["b", "rejected"], ["c", "rejected"], ["d", "rejected"], ["e", "waiting"]],
  );
  t.deepEqual((waits.c!.error as DependencyFailed).chain, ["c", "b", "a"]);
  t.deepEqual((waits.d!.error as DependencyFailed).chain, ["d", "a"]);
  t.is(registry.counts().waiters, 1);
});

test("abort rejects with the signal's reason and removes the waiter and its listener", async (t) => {
  const registry = new Registry();
  registry.want("c", ["a"]);
  const controller = new AbortController();
  const wait = begin(registry, "c", controller.signal);
  t.is(abortListeners(controller.signal), 1);
  const reason = new Error("deadline exceeded");
  controller.abort(reason);
  t.is(registry.counts().waiters, 0, "removed the moment the signal fires");
  t.false(registry.get("c").waiting);
  await flush();
  t.is(wait.state, "rejected");
  t.is(wait.error, reason);
  t.is(abortListeners(controller.signal), 0);
  t.is(registry.get("c").status, "pending");
  // Nothing of the old wait is left: completing the dependency starts nothing.
  await started(registry, "a");
  registry.complete("a");
  t.is(registry.get("c").status, "pending");
  // A retry waits again and starts.
  const retry = await registry.start("c", never());
  t.is(retry.unit.status, "started");
});

test("abort with a non-Error reason rejects with an Error carrying it", async (t) => {
  const registry = new Registry();
  registry.want("c", ["a"]);
  const controller = new AbortController();
  const wait = begin(registry, "c", controller.signal);
  controller.abort("client cancelled");
  await flush();
  t.true(wait.error instanceof Error);
  t.is((wait.error as Error).message, "client cancelled");
});

test("start with an already aborted signal fails with its reason and registers nothing", async (t) => {
  const registry = new Registry();
  const controller = new AbortController();
  const reason = new Error("shutting down");
  controller.abort(reason);
  const before = snapshot(registry);
  const wait = begin(registry, "c", controller.signal);
  await flush();
  t.is(wait.error, reason);
  t.deepEqual(snapshot(registry), before);
  t.is(abortListeners(controller.signal), 0);
});

test("many aborted waits leave no waiter and no listener behind", async (t) => {
  const registry = new Registry();
  const controllers: AbortController[] = [];
  for (let i = 0; i < 50; i++) {
    registry.want(`u${i}`, ["never"]);
    const controller = new AbortController();
    controllers.push(controller);
    begin(registry, `u${i}`, controller.signal);
  }
  t.is(registry.counts().waiters, 50);
  controllers.forEach((c) => c.abort(new Error("cancel")));
  await flush();
  t.is(registry.counts().waiters, 0);
  t.true(controllers.every((c) => abortListeners(c.signal) === 0));
  t.true(registry.list().every((u) => !u.waiting));
});

test("a want that adds an unmet dependency during a wait extends the wait", async (t) => {
  const registry = new Registry();
  await started(registry, "a");
  registry.want("c", ["a"]);
  const wait = begin(registry, "c");
  t.deepEqual(wait.calls, ["waiting [a] unregistered []"]);
  registry.want("c", ["b"]);
  t.deepEqual(wait.calls.slice(1), ["waiting [a b] unregistered [b]"]);
  registry.complete("a");
  await flush();
  t.deepEqual(wait.calls.slice(2), ["satisfied a completed unmet [b]"]);
  t.is(wait.state, "waiting", "still waits for the new dependency");
  t.is(registry.get("c").status, "pending");
  await started(registry, "b");
  registry.complete("b");
  await wait.promise;
  t.deepEqual(wait.calls.slice(3), ["satisfied b completed unmet []"]);
  t.is(registry.get("c").status, "started");
});

test("a want that adds an already satisfied dependency during a wait changes nothing for it", async (t) => {
  const registry = new Registry();
  await started(registry, "done");
  registry.complete("done");
  registry.want("c", ["a"]);
  const wait = begin(registry, "c");
  registry.want("c", ["done"]);
  await flush();
  t.deepEqual(wait.calls, ["waiting [a] unregistered [a]"]);
  t.is(wait.state, "waiting");
});

test("a want that adds a failed dependency during a wait ends it", async (t) => {
  const registry = new Registry();
  registry.want("c", ["a"]);
  registry.want("b", ["x"]);
  const waitC = begin(registry, "c");
  registry.want("d", ["c"]);
  const waitD = begin(registry, "d");
  registry.fail("b", "broken");
  registry.want("c", ["b"]);
  await flush();
  t.is(waitC.state, "rejected");
  t.like(waitC.error, { failedUnit: "b", chain: ["c", "b"] });
  t.is(waitD.state, "rejected", "the dependents that wait are blocked too");
  t.like(waitD.error, { failedUnit: "b", chain: ["d", "c", "b"] });
  t.is(registry.counts().waiters, 0);
});

test("completing the waiting unit itself ends its wait as an illegal transition", async (t) => {
  const registry = new Registry();
  registry.want("c", ["a"]);
  const controller = new AbortController();
  const wait = begin(registry, "c", controller.signal);
  t.true(registry.complete("c").changed);
  await flush();
  t.is(wait.state, "rejected");
  t.true(wait.error instanceof IllegalTransition);
  t.is((wait.error as Error).message, 'unit "c" was marked completed while waiting to start');
  t.is(registry.get("c").status, "completed");
  t.is(registry.counts().waiters, 0);
  t.is(abortListeners(controller.signal), 0);
});

test("failing the waiting unit itself ends its wait as an illegal transition", async (t) => {
  const registry = new Registry();
  registry.want("c", ["a"]);
  const wait = begin(registry, "c");
  registry.fail("c", "gave up");
  await flush();
  t.true(wait.error instanceof IllegalTransition);
  t.is((wait.error as Error).message, 'unit "c" was marked failed while waiting to start');
  t.is(registry.counts().waiters, 0);
});

test("a complete wakes only its direct dependents' waiters", async (t) => {
  const registry = new Registry();
  registry.want("b", ["a"]);
  registry.want("c", ["b"]);
  await started(registry, "a");
  const waitB = begin(registry, "b");
  const waitC = begin(registry, "c");
  t.deepEqual(waitC.calls, ["waiting [b] unregistered []"]);
  registry.complete("a");
  await flush();
  t.is(waitB.state, "resolved");
  t.deepEqual(waitB.calls, ["waiting [a] unregistered []", "satisfied a completed unmet []"]);
  t.deepEqual(waitC.calls, ["waiting [b] unregistered []"], "c hears nothing about a");
  t.is(waitC.state, "waiting");
  t.true(registry.get("c").waiting);
  registry.complete("b");
  await flush();
  t.is(waitC.state, "resolved");
  t.deepEqual(waitC.calls.slice(1), ["satisfied b completed unmet []"]);
});

test("a start released by a completion releases waiters on a started edge in turn", async (t) => {
  const registry = new Registry();
  registry.want("b", ["a"]);
  registry.want("watcher", ["b"], "started");
  await started(registry, "a");
  const waitB = begin(registry, "b");
  const waitW = begin(registry, "watcher");
  registry.complete("a");
  await flush();
  t.is(waitB.state, "resolved");
  t.is(waitW.state, "resolved");
  t.deepEqual(waitW.calls, ["waiting [b] unregistered []", "satisfied b started unmet []"]);
});

test("a finished edge releases its waiter when the dependency fails", async (t) => {
  const registry = new Registry();
  registry.want("cleanup", ["job"], "finished");
  await started(registry, "job");
  const wait = begin(registry, "cleanup");
  registry.fail("job", "exit 2");
  await wait.promise;
  t.deepEqual(wait.calls, ["waiting [job] unregistered []", "satisfied job failed unmet []"]);
  t.is(registry.get("cleanup").status, "started");
});

test("wait events record when a wait began and how it ended", async (t) => {
  const registry = new Registry();
  registry.want("c", ["a"]);
  const controller = new AbortController();
  begin(registry, "c", controller.signal);
  controller.abort(new Error("deadline exceeded"));
  await flush();
  const waits = registry.events().filter((e) => e.kind.startsWith("wait-"));
  t.deepEqual(
    waits.map((e) => ({ unit: e.unit, kind: e.kind, reason: e.reason, dependsOn: e.dependsOn })),
    [
      { unit: "c", kind: "wait-began", reason: "", dependsOn: ["a"] },
      { unit: "c", kind: "wait-ended", reason: "deadline exceeded", dependsOn: [] },
    ],
  );
});
