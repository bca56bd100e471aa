// Declaring a plan at once: all edges or none; a cycle through the plan and the agent's own units
// is refused with its path and changes nothing; over the DeclarePlan RPC as well.
import test from "ava";
import { Condition } from "../gen/unitsync/v1/unitsync_pb.js";
import { findCycles } from "../src/core/cycles.js";
import { declarePlan } from "../src/core/plan-declare.js";
import { Registry } from "../src/core/registry.js";
import { withAgent } from "./helpers/agent.js";
import { snapshot } from "./helpers/core.js";

test("findCycles reports each cycle once, with its path, and survives a deep chain", (t) => {
  const edges: Record<string, string[]> = { a: ["b"], b: ["c"], c: ["a"], d: ["d"], e: ["a"] };
  t.deepEqual(findCycles((n) => edges[n] ?? [], Object.keys(edges)), [
    ["a", "b", "c", "a"],
    ["d", "d"],
  ]);
  const deep = (n: string) => (Number(n) < 200_000 ? [String(Number(n) + 1)] : []);
  t.deepEqual(findCycles(deep, ["0"]), []);
});

test("a plan declares every edge with its condition", (t) => {
  const registry = new Registry();
  declarePlan(registry, [
    { name: "clone", after: [] },
    { name: "build", after: [{ name: "clone", condition: "completed" }] },
    { name: "report", after: [{ name: "build", condition: "finished" }, { name: "clone", condition: "started" }] },
  ]);
  t.deepEqual(
    registry.graphView().edges.map((e) => `${e.unit}<-${e.dependsOn}:${e.required}`).sort(),
    ["build<-clone:completed", "report<-build:finished", "report<-clone:started"],
  );
});

test("a cycle through the plan and the agent's units is refused with its path, changing nothing", (t) => {
  const registry = new Registry();
  registry.want("x", ["c"]);
  const before = snapshot(registry);
  const error = t.throws(() =>
    declarePlan(registry, [
      { name: "a", after: [{ name: "b", condition: "completed" }] },
      { name: "b", after: [{ name: "c", condition: "completed" }] },
      { name: "c", after: [{ name: "x", condition: "completed" }] },
      { name: "d", after: [{ name: "a", condition: "completed" }] },
    ]),
  );
  t.is(error?.message, "cycle detected: c -> x -> c");
  t.deepEqual(snapshot(registry), before);
});

test("invalid names, a unit given twice and new edges on a started unit are refused before anything changes", (t) => {
  const registry = new Registry();
  registry.want("busy", ["dep"]);
  void registry.start("dep", new AbortController().signal);
  const before = snapshot(registry);
  t.throws(() => declarePlan(registry, [{ name: "ok", after: [{ name: "dep", condition: "completed" }] }, { name: "bad\tname", after: [] }]), {
    message: /invalid unit name "bad\\u\{9\}name"/,
  });
  t.throws(() => declarePlan(registry, [{ name: "ok", after: [] }, { name: "ok", after: [] }]), { message: /gives unit "ok" twice/ });
  t.throws(() => declarePlan(registry, [{ name: "new", after: [{ name: "dep", condition: "completed" }] }, { name: "dep", after: [{ name: "z", condition: "completed" }] }]), {
    message: 'unit "dep" is already started; declare dependencies before starting it',
  });
  t.deepEqual(snapshot(registry), before);
});

test("DeclarePlan over the wire: declared at once, a cycle is FAILED_PRECONDITION naming the path", async (t) => {
  const { client } = await withAgent(t);
  const response = await client.declarePlan({
    units: [
      { name: "clone" },
      { name: "ide", after: [{ name: "clone" }, { name: "db", condition: Condition.STARTED }] },
      { name: "db" },
    ],
  });
  t.deepEqual(response.units.map((u) => u.name), ["clone", "ide", "db"]);
  const { edges } = await client.getGraph({});
  t.deepEqual(edges.map((e) => `${e.unit}<-${e.dependsOn}:${e.required}`).sort(), [`ide<-clone:${Condition.COMPLETED}`, `ide<-db:${Condition.STARTED}`]);
  const error = await t.throwsAsync(client.declarePlan({ units: [{ name: "clone", after: [{ name: "ide" }] }] }));
  t.is((error as { code?: number }).code, 9); // FAILED_PRECONDITION, as Want answers a cycle
  t.regex(error!.message, /cycle detected: clone -> ide -> clone/);
  t.is((await client.getGraph({})).edges.length, 2);
});

test("a plan registers every unit it names, those with no dependencies too, pending and visible before anyone starts them", (t) => {
  const registry = new Registry();
  declarePlan(registry, [{ name: "clone", after: [] }, { name: "db", after: [] }, { name: "ide", after: [{ name: "clone", condition: "completed" }] }], "plan");
  t.deepEqual(
    registry.list().map((u) => `${u.name}:${u.status}:${u.owner}`),
    ["clone:pending:plan", "db:pending:plan", "ide:pending:plan"],
  );
});

test("a plan past the unit or dependency limit is refused whole, changing nothing", (t) => {
  const registry = new Registry({ limits: { units: 4, dependenciesPerUnit: 2 } });
  registry.want("x", ["y"]);
  const before = snapshot(registry);
  t.throws(() => declarePlan(registry, [{ name: "a", after: [] }, { name: "b", after: [{ name: "c", condition: "completed" }] }]), {
    message: "the plan names 3 new units and the agent holds 2; the limit is 4",
  });
  t.throws(
    () => declarePlan(registry, [{ name: "x", after: [{ name: "a", condition: "completed" }, { name: "b", condition: "completed" }] }]),
    { message: 'unit "x" would have 3 dependencies; the limit is 2' },
  );
  // A new unit past the limit, after one that fits: nothing of either is applied.
  const fresh = new Registry({ limits: { dependenciesPerUnit: 2 } });
  t.throws(
    () => declarePlan(fresh, [{ name: "p", after: [{ name: "x", condition: "completed" }] }, { name: "q", after: ["r", "s", "u"].map((name) => ({ name, condition: "completed" as const })) }]),
    { message: 'unit "q" would have 3 dependencies; the limit is 2' },
  );
  t.deepEqual(fresh.graphView().nodes, []);
  t.deepEqual(snapshot(registry), before);
  declarePlan(registry, [{ name: "x", after: [{ name: "a", condition: "completed" }] }]);
  t.is(registry.counts().units, 1, "x is registered; a and y are only named");
});
