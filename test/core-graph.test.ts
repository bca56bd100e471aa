// Core: the dependency graph and Registry.want — cycle rejection that names the cycle and leaves no trace.
import test from "ava";
import { CycleDetected } from "../src/core/errors.js";
import { DependencyGraph } from "../src/core/graph.js";
import { Registry } from "../src/core/registry.js";
import { snapshot } from "./helpers/core.js";

/** A small seeded PRNG (mulberry32), so a failing run can be replayed from its seed. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return Math.floor((((x ^ (x >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/** The reference: plain adjacency sets, "unit depends on dep". */
class Reference {
  readonly deps = new Map<string, Set<string>>();
  readonly order: string[] = [];

  has(unit: string, dep: string): boolean {
    return this.deps.get(unit)?.has(dep) ?? false;
  }

  /** Brute-force DFS: does `from` (transitively) depend on `to`? */
  dependsOn(from: string, to: string): boolean {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node === to) return true;
      if (seen.has(node)) continue;
      seen.add(node);
      stack.push(...(this.deps.get(node) ?? []));
    }
    return false;
  }

  closesCycle(unit: string, dep: string): boolean {
    return unit === dep || this.dependsOn(dep, unit);
  }

  add(unit: string, dep: string): void {
    for (const name of [unit, dep]) if (!this.order.includes(name)) this.order.push(name);
    let out = this.deps.get(unit);
    if (!out) this.deps.set(unit, (out = new Set()));
    out.add(dep);
  }

  dependentsOf(name: string): string[] {
    return [...this.deps].filter(([, out]) => out.has(name)).map(([unit]) => unit);
  }
}

/** The reported cycle starts with the rejected edge `unit -> dep` and follows real edges back to `unit`. */
function assertValidCycle(t: import("ava").ExecutionContext, ref: Reference, unit: string, dep: string, error: CycleDetected) {
  const path = error.path;
  t.is(error.message, `cycle detected: ${path.join(" -> ")}`);
  t.is(path[0], unit);
  t.is(path[path.length - 1], unit);
  t.is(path[1], dep);
  const inner = path.slice(1, -1);
  t.is(new Set(inner).size, inner.length, `no unit repeats inside the cycle: ${path.join(" -> ")}`);
  if (unit !== dep) t.false(inner.includes(unit));
  for (let i = 1; i < path.length - 1; i++) {
    t.true(ref.has(path[i]!, path[i + 1]!), `${path[i]} -> ${path[i + 1]} is an existing edge in ${path.join(" -> ")}`);
  }
}

function assertSameGraph(t: import("ava").ExecutionContext, graph: DependencyGraph, ref: Reference, what: string) {
  t.deepEqual([...graph.names()], ref.order, `${what}: names in first-seen order`);
  let edges = 0;
  for (const name of ref.order) {
    const out = [...(ref.deps.get(name) ?? [])];
    edges += out.length;
    t.deepEqual([...graph.dependenciesOf(name).keys()].sort(), out.sort(), `${what}: dependencies of ${name}`);
    t.deepEqual([...graph.dependentsOf(name)].sort(), ref.dependentsOf(name).sort(), `${what}: dependents of ${name}`);
  }
  t.is(graph.edgeCount, edges, `${what}: edge count`);
  t.is(graph.size, ref.order.length, `${what}: size`);
}

// ---- named cycles through the registry --------------------------------------------------------

test("want a b then want b a is refused as cycle b -> a -> b", (t) => {
  const registry = new Registry();
  registry.want("a", ["b"]);
  const error = t.throws(() => registry.want("b", ["a"]), { instanceOf: CycleDetected });
  t.is(error.message, "cycle detected: b -> a -> b");
  t.deepEqual(error.path, ["b", "a", "b"]);
  t.is(error.kind, "cycle");
});

test("a 3-cycle names every unit in dependency order", (t) => {
  const registry = new Registry();
  registry.want("a", ["b"]);
  registry.want("b", ["c"]);
  const error = t.throws(() => registry.want("c", ["a"]), { instanceOf: CycleDetected });
  t.is(error.message, "cycle detected: c -> a -> b -> c");
});

test("want x x is refused as cycle x -> x and registers nothing", (t) => {
  const registry = new Registry();
  const before = snapshot(registry);
  const error = t.throws(() => registry.want("x", ["x"]), { instanceOf: CycleDetected });
  t.is(error.message, "cycle detected: x -> x");
  t.deepEqual(snapshot(registry), before);
  t.is(registry.get("x").status, "not registered");
  t.deepEqual(registry.list(), []);
  t.deepEqual(registry.graphView().nodes, []);
  t.deepEqual(registry.events(), []);
});

test("a self-dependency among other dependencies is refused whole", (t) => {
  const registry = new Registry();
  const error = t.throws(() => registry.want("x", ["y", "x", "z"]), { instanceOf: CycleDetected });
  t.is(error.message, "cycle detected: x -> x");
  t.deepEqual(registry.graphView(), { nodes: [], edges: [] });
  t.is(registry.get("y").status, "not registered");
  t.deepEqual(registry.counts(), { units: 0, waiters: 0, events: 0, droppedEvents: 0, edges: 0 });
});

test("a long chain declared from the top closes into a cycle named end to end", (t) => {
  const registry = new Registry();
  // Each new dependency arrives after its dependent, so every edge reorders the graph.
  for (let i = 0; i < 20; i++) registry.want(`n${i}`, [`n${i + 1}`]);
  const error = t.throws(() => registry.want("n20", ["n0"]), { instanceOf: CycleDetected });
  const expected = ["n20", ...Array.from({ length: 21 }, (_, i) => `n${i}`)];
  t.is(error.message, `cycle detected: ${expected.join(" -> ")}`);
});

test("a long chain declared from the bottom closes into a cycle named end to end", (t) => {
  const registry = new Registry();
  for (let i = 20; i > 0; i--) registry.want(`n${i}`, [`n${i - 1}`]);
  const error = t.throws(() => registry.want("n0", ["n20"]), { instanceOf: CycleDetected });
  const expected = ["n0", ...Array.from({ length: 21 }, (_, i) => `n${20 - i}`)];
  t.is(error.message, `cycle detected: ${expected.join(" -> ")}`);
});

test("a cycle through a diamond names one real cycle", (t) => {
  const registry = new Registry();
  registry.want("d", ["b", "c"]);
  registry.want("b", ["a"]);
  registry.want("c", ["a"]);
  const error = t.throws(() => registry.want("a", ["d"]), { instanceOf: CycleDetected });
  t.true(
    ["cycle detected: a -> d -> b -> a", "cycle detected: a -> d -> c -> a"].includes(error.message),
    error.message,
  );
});

// ---- a rejected want leaves no trace ----------------------------------------------------------

test("a rejected want leaves list, graph, get, events and counts exactly as they were", (t) => {
  const registry = new Registry();
  registry.want("a", ["b"]);
  registry.want("c", ["a"]);
  const before = snapshot(registry);
  const beforeB = registry.get("b");
  const error = t.throws(() => registry.want("b", ["new1", "c", "new2"]), { instanceOf: CycleDetected });
  t.is(error.message, "cycle detected: b -> c -> a -> b");
  t.deepEqual(snapshot(registry), before);
  t.deepEqual(registry.get("b"), beforeB, "b is still only named, not registered");
  t.is(registry.get("new1").status, "not registered");
  t.is(registry.get("new2").status, "not registered");
  t.false(registry.graphView().nodes.some((n) => n.name.startsWith("new")), "no new names are in the graph");
});

test("a rejected want on a registered unit keeps its existing dependencies and their conditions", (t) => {
  const registry = new Registry();
  registry.want("a", ["b"], "started");
  registry.want("b", ["c"]);
  const before = snapshot(registry);
  t.throws(() => registry.want("c", ["x", "a"], "finished"), { instanceOf: CycleDetected });
  t.throws(() => registry.want("a", ["b", "a"], "finished"), { instanceOf: CycleDetected });
  t.deepEqual(snapshot(registry), before);
  t.is(registry.get("a").dependencies[0]!.required, "started");
});

test("names dropped by a rejected want are new when declared later", (t) => {
  const registry = new Registry();
  registry.want("a", ["b"]);
  t.throws(() => registry.want("b", ["n1", "a"]), { instanceOf: CycleDetected });
  registry.want("z", ["n1"]);
  t.deepEqual(
    registry.graphView().nodes.map((n) => n.name),
    ["a", "b", "z", "n1"],
  );
  t.deepEqual(
    registry.graphView().edges.map((e) => `${e.unit}->${e.dependsOn}`),
    ["a->b", "z->n1"],
  );
});

test("declaring an existing edge again adds nothing and logs nothing", (t) => {
  const registry = new Registry();
  registry.want("a", ["b", "b"]);
  t.is(registry.counts().edges, 1);
  const before = snapshot(registry);
  registry.want("a", ["b"]);
  t.deepEqual(snapshot(registry), before);
});

// ---- edges in any order: checked against a brute-force reference ------------------------------

test("random edges in any order: cycles found exactly when a brute-force DFS finds one", (t) => {
  let rejected = 0;
  let accepted = 0;
  for (let seed = 1; seed <= 150; seed++) {
    const rand = prng(seed);
    const graph = new DependencyGraph();
    const ref = new Reference();
    const names = Array.from({ length: 3 + rand(10) }, (_, i) => `n${i}`);
    let fresh = 0;
    for (let op = 0; op < 40; op++) {
      const unit = rand(8) === 0 ? `f${fresh++}` : names[rand(names.length)]!;
      const batch = Array.from({ length: 1 + rand(3) }, () => (rand(8) === 0 ? `f${fresh++}` : names[rand(names.length)]!));
      const cyclic = batch.find((dep) => !ref.has(unit, dep) && ref.closesCycle(unit, dep));
      const what = `seed ${seed} op ${op}: ${unit} -> [${batch.join(" ")}]`;
      if (cyclic !== undefined) {
        const error = t.throws(() => graph.addEdges(unit, batch, "completed"), { instanceOf: CycleDetected }, what);
        if (!error) return;
        // The graph reports the first dependency in the batch that closes a cycle.
        assertValidCycle(t, ref, unit, cyclic, error);
        rejected++;
      } else {
        const added = graph.addEdges(unit, batch, "completed");
        const expected = [...new Set(batch.filter((dep) => !ref.has(unit, dep)))];
        t.deepEqual(added, expected, what);
        for (const dep of batch) {
          if (!ref.has(unit, dep)) ref.add(unit, dep);
        }
        accepted++;
      }
      assertSameGraph(t, graph, ref, what);
    }
  }
  t.true(rejected > 100, `exercised ${rejected} rejections`);
  t.true(accepted > 100, `exercised ${accepted} acceptances`);
});

test("random wants through the registry: a rejected one never changes what users read", (t) => {
  for (let seed = 1; seed <= 40; seed++) {
    const rand = prng(1000 + seed);
    const registry = new Registry();
    const ref = new Reference();
    const names = Array.from({ length: 4 + rand(8) }, (_, i) => `u${i}`);
    for (let op = 0; op < 30; op++) {
      const unit = names[rand(names.length)]!;
      const dep = names[rand(names.length)]!;
      const what = `seed ${seed} op ${op}: want ${unit} ${dep}`;
      if (!ref.has(unit, dep) && ref.closesCycle(unit, dep)) {
        const before = snapshot(registry);
        const error = t.throws(() => registry.want(unit, [dep]), { instanceOf: CycleDetected }, what);
        if (!error) return;
        assertValidCycle(t, ref, unit, dep, error);
        t.deepEqual(snapshot(registry), before, what);
      } else {
        registry.want(unit, [dep]);
        ref.add(unit, dep);
      }
      const edges = registry.graphView().edges.map((e) => `${e.unit}->${e.dependsOn}`).sort();
      const expected = [...ref.deps].flatMap(([u, out]) => [...out].map((d) => `${u}->${d}`)).sort();
      t.deepEqual(edges, expected, what);
    }
  }
});
