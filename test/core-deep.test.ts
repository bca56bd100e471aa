// Core: deep dependency chains (no stack overflow, every wait settles once) and Watch listeners that throw.
import test from "ava";
import { DependencyFailed } from "../src/core/errors.js";
import type { UnitEvent } from "../src/core/event-log.js";
import { Registry, type StartResult } from "../src/core/registry.js";
import type { Condition } from "../src/core/status.js";

const never = () => new AbortController().signal;
const name = (i: number) => `u${i}`;

/** Units u0..u(length-1) where u(i) depends on u(i-1) with `condition`; u0 is only named. */
function chain(length: number, condition: Condition, order: "bottom-up" | "top-down" = "bottom-up"): Registry {
  const registry = new Registry({ limits: { units: length + 10, dependenciesPerUnit: length } });
  // Naming every unit first, in chain order, keeps the graph's incremental ordering cheap however they are registered.
  if (order === "top-down") registry.want("index", Array.from({ length }, (_, i) => name(i)), "finished");
  for (let k = 1; k < length; k++) {
    const i = order === "bottom-up" ? k : length - k;
    registry.want(name(i), [name(i - 1)], condition);
  }
  return registry;
}

/** Opens a Start on every unit but the root, recording how each ended. */
function waitAll(registry: Registry, length: number) {
  const outcomes = new Map<string, { result?: StartResult; error?: unknown }>();
  const promises: Promise<void>[] = [];
  for (let i = 1; i < length; i++) {
    promises.push(
      registry.start(name(i), never()).then(
        (result) => void outcomes.set(name(i), { result }),
        (error: unknown) => void outcomes.set(name(i), { error }),
      ),
    );
  }
  return { outcomes, settled: () => Promise.all(promises) };
}

/** The position of each unit's first event of `kind` into `to`. */
function positions(events: UnitEvent[], to: string): Map<string, number> {
  const out = new Map<string, number>();
  events.forEach((event, index) => {
    if (event.kind === "status-changed" && event.to === to && !out.has(event.unit)) out.set(event.unit, index);
  });
  return out;
}

test("a 10,000-unit chain on started edges starts in full when its root starts", async (t) => {
  const length = 10_000;
  const registry = chain(length, "started");
  const { outcomes, settled } = waitAll(registry, length);
  t.is(registry.counts().waiters, length - 1);

  const root = await registry.start(name(0), never());
  t.is(root.unit.status, "started");
  for (let i = 0; i < length; i++) t.is(registry.get(name(i)).status, "started", name(i));
  t.is(registry.counts().waiters, 0);

  await settled();
  t.is(outcomes.size, length - 1);
  const failures = [...outcomes].filter(([, outcome]) => outcome.result?.unit.status !== "started");
  t.deepEqual(failures, [], "every Start resolves with its unit started");

  const startedAt = positions(registry.events(), "started");
  for (let i = 1; i < length; i++) {
    if (!(startedAt.get(name(i - 1))! < startedAt.get(name(i))!)) t.fail(`${name(i)} started before ${name(i - 1)}`);
  }
  t.is(registry.events().filter((e) => e.kind === "wait-ended").length, 0, "no wait ended in error");
});

test("a 10,000-unit chain where a Watch listener completes each unit as it starts completes in full", async (t) => {
  const length = 10_000;
  const registry = chain(length, "completed");
  const { outcomes, settled } = waitAll(registry, length);
  registry.subscribe((event) => {
    if (event.kind === "status-changed" && event.to === "started") registry.complete(event.unit);
  });

  await registry.start(name(0), never());
  for (let i = 0; i < length; i++) t.is(registry.get(name(i)).status, "completed", name(i));
  t.is(registry.counts().waiters, 0);

  await settled();
  t.is(outcomes.size, length - 1);
  t.deepEqual(
    [...outcomes].filter(([, outcome]) => outcome.result === undefined),
    [],
    "every Start resolves",
  );

  const events = registry.events();
  const startedAt = positions(events, "started");
  const completedAt = positions(events, "completed");
  for (let i = 1; i < length; i++) {
    const before = completedAt.get(name(i - 1))!;
    if (!(startedAt.get(name(i - 1))! < before && before < startedAt.get(name(i))!)) {
      t.fail(`${name(i - 1)} did not start, then complete, before ${name(i)} started`);
    }
  }
});

test("a failure below a deep pending chain blocks its top with the whole chain", async (t) => {
  const length = 9_990;
  // Registered top first, so list() too meets the top before anything below it.
  const registry = chain(length, "completed", "top-down");
  await registry.start(name(0), never());
  const result = registry.fail(name(0), "disk full");
  t.is(result.blocked.length, length - 1);

  const top = registry.get(name(length - 1));
  const expected = Array.from({ length }, (_, i) => name(length - 1 - i));
  t.deepEqual(top.blocked, { failedUnit: name(0), reason: "disk full", chain: expected });

  const list = new Map(registry.list().map((unit) => [unit.name, unit]));
  t.is(list.size, length + 1);
  t.is(list.get("index")!.blocked, undefined, "a finished edge never blocks");
  t.is(list.get(name(0))!.blocked, undefined, "the failed unit itself is not blocked");
  for (let i = 1; i < length; i++) {
    const blocked = list.get(name(i))!.blocked;
    if (blocked?.failedUnit !== name(0) || blocked.chain.length !== i + 1 || blocked.chain[0] !== name(i)) {
      t.fail(`list() shows the wrong chain for ${name(i)}`);
    }
  }
  t.deepEqual(list.get(name(length - 1))!.blocked, top.blocked);
});

test("a failure ends every Start waiting along a deep chain, each with its own chain", async (t) => {
  const length = 3_000;
  const registry = chain(length, "completed");
  const { outcomes, settled } = waitAll(registry, length);
  await registry.start(name(0), never());
  registry.fail(name(0), "disk full");
  t.is(registry.counts().waiters, 0);
  await settled();
  t.is(outcomes.size, length - 1);
  for (let i = 1; i < length; i++) {
    const error = outcomes.get(name(i))!.error;
    if (!(error instanceof DependencyFailed) || error.failedUnit !== name(0) || error.chain.length !== i + 1) {
      t.fail(`${name(i)} did not fail with the chain down to ${name(0)}`);
    }
  }
});

test("a blocked chain takes the first failing dependency in declaration order, through diamonds", async (t) => {
  const registry = new Registry();
  registry.want("top", ["left", "right"]);
  registry.want("left", ["mid"]);
  registry.want("right", ["mid", "bad"]);
  registry.want("mid", ["ok"], "finished");
  await registry.start("ok", never());
  await registry.start("bad", never());
  registry.fail("ok", "fine");
  t.is(registry.get("top").blocked, undefined, "a finished edge never blocks");
  registry.fail("bad", "broken");
  t.deepEqual(registry.get("top").blocked, { failedUnit: "bad", reason: "broken", chain: ["top", "right", "bad"] });
  t.deepEqual(
    registry.list().map((unit) => [unit.name, unit.blocked?.chain ?? []]),
    [
      ["top", ["top", "right", "bad"]],
      ["left", []],
      ["right", ["right", "bad"]],
      ["mid", []],
      ["ok", []],
      ["bad", []],
    ],
  );
  const nodes = registry.graphView().nodes;
  t.deepEqual(
    nodes.filter((node) => node.blocked).map((node) => node.blocked!.chain),
    [
      ["top", "right", "bad"],
      ["right", "bad"],
    ],
  );
});

test("a Watch listener that throws neither stops the transition nor the other listeners", async (t) => {
  const reported: [string, number][] = [];
  const registry = new Registry({
    onListenerError: (error, event) => reported.push([(error as Error).message, event.seq]),
  });
  registry.want("ide", ["git-clone"]);
  const wait = registry.start("ide", never());
  const seen: UnitEvent[] = [];
  registry.subscribe(() => {
    throw new Error("broken stream");
  });
  registry.subscribe((event) => seen.push(event));
  const first = registry.lastSeq;

  await registry.start("git-clone", never());
  t.notThrows(() => registry.complete("git-clone"));
  t.is(registry.get("git-clone").status, "completed");
  t.is((await wait).unit.status, "started", "the waiting dependent still starts");
  t.is(registry.counts().waiters, 0);

  const events = registry.events().filter((event) => event.seq > first);
  t.deepEqual(
    seen.map((event) => event.seq),
    events.map((event) => event.seq),
    "the other listener saw every event",
  );
  t.deepEqual(
    reported,
    events.map((event) => ["broken stream", event.seq]),
    "every error is reported with its event",
  );
});

test("a throwing Watch listener is ignored when no error callback is given", async (t) => {
  const registry = new Registry();
  registry.subscribe(() => {
    throw new Error("broken stream");
  });
  registry.want("ide", ["git-clone"]);
  const wait = registry.start("ide", never());
  await registry.start("git-clone", never());
  registry.complete("git-clone");
  t.is((await wait).unit.status, "started");
  t.is(registry.counts().waiters, 0);
});

test("a progress callback that throws still lets every other waiter wake", async (t) => {
  const registry = new Registry();
  registry.want("a", ["dep"]);
  registry.want("b", ["dep"]);
  const controller = new AbortController();
  const broken = registry
    .start("a", controller.signal, {
      onSatisfied: () => {
        throw new Error("broken stream");
      },
    })
    .catch((error: unknown) => error);
  const healthy = registry.start("b", never());
  await registry.start("dep", never());
  t.throws(() => registry.complete("dep"), { message: "broken stream" }, "the caller hears of the failure");
  t.is(registry.get("dep").status, "completed");
  t.is((await healthy).unit.status, "started", "the other waiter still starts");
  controller.abort(new Error("gave up"));
  t.like(await broken, { message: "gave up" });
  t.is(registry.counts().waiters, 0);
});
