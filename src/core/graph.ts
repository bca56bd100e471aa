// The dependency graph: edges "unit depends on dependency", with cycle rejection that names the
// cycle. A topological order is kept incrementally (Pearce–Kelly), so adding an edge that already
// fits the order costs O(1) and a full search runs only over the part of the graph it reorders.
import { CycleDetected } from "./errors.js";
import type { Condition } from "./status.js";

export class DependencyGraph {
  /** unit -> (dependency -> condition), in declaration order. */
  private readonly deps = new Map<string, Map<string, Condition>>();
  /** dependency -> units that depend on it. */
  private readonly dependents = new Map<string, Set<string>>();
  /** Topological position: a dependency always has a smaller position than its dependents. */
  private readonly position = new Map<string, number>();
  /** New units take the next position above every other, new dependency names the next below. */
  private nextHigh = 0;
  private nextLow = -1;
  private edges = 0;

  /** How many names the graph holds, as units or as dependencies. */
  get size(): number {
    return this.position.size;
  }

  get edgeCount(): number {
    return this.edges;
  }

  /** Every name that appears in the graph, as a unit or as a dependency, in first-seen order. */
  names(): IterableIterator<string> {
    return this.position.keys();
  }

  has(name: string): boolean {
    return this.position.has(name);
  }

  dependenciesOf(unit: string): ReadonlyMap<string, Condition> {
    return this.deps.get(unit) ?? EMPTY;
  }

  dependentsOf(unit: string): ReadonlySet<string> {
    return this.dependents.get(unit) ?? EMPTY_SET;
  }

  /**
   * Adds `unit -> dep` for every dep with `condition` (an existing edge takes the new condition).
   * All or nothing: if any edge would close a cycle, the graph is left exactly as it was and
   * CycleDetected names the cycle. Returns the dependencies that were new.
   */
  addEdges(unit: string, dependencies: readonly string[], condition: Condition): string[] {
    const added: string[] = [];
    const touched = [unit, ...dependencies].filter((name) => !this.position.has(name));
    // New dependency names of one call take a block of low positions in the order given, so that
    // a chain named in order (want index a b c …, then want b a, want c b …) needs no reordering.
    if (dependencies.some((dep) => dep !== unit && !this.deps.get(unit)?.has(dep))) this.touch(unit); // first seen first
    const fresh = [...new Set(dependencies)].filter((name) => name !== unit && !this.position.has(name));
    const base = this.nextLow - fresh.length + 1;
    fresh.forEach((name, i) => this.position.set(name, base + i));
    this.nextLow = base - 1;
    try {
      for (const dep of dependencies) {
        const existing = this.deps.get(unit);
        if (existing?.has(dep)) {
          continue;
        }
        this.checkAndOrder(unit, dep);
        this.link(unit, dep, condition);
        added.push(dep);
      }
    } catch (error) {
      for (const dep of added) this.unlink(unit, dep);
      for (const name of touched) this.position.delete(name);
      throw error;
    }
    for (const dep of dependencies) this.deps.get(unit)?.set(dep, condition);
    return added;
  }

  /**
   * Ensures a position for `name`. A new unit goes after everything and a new dependency before
   * everything, so that an edge between new names fits the order whichever way a graph is
   * declared (top-down chains included) and needs no search.
   */
  touch(name: string, as: "unit" | "dependency" = "unit"): void {
    if (!this.position.has(name)) this.position.set(name, as === "unit" ? this.nextHigh++ : this.nextLow--);
  }

  /** Throws CycleDetected if `unit -> dep` closes a cycle; otherwise reorders so dep comes first. */
  private checkAndOrder(unit: string, dep: string): void {
    if (unit === dep) throw new CycleDetected([unit, unit]);
    this.touch(unit);
    this.touch(dep, "dependency");
    const lower = this.position.get(unit)!;
    const upper = this.position.get(dep)!;
    if (upper < lower) return;
    // Units that (transitively) depend on `unit`, within the window; reaching `dep` is a cycle.
    const forward = this.search(unit, upper, "forward", dep);
    if (forward.cycle) {
      // forward.cycle runs dependent-wards from unit to dep; read it dependency-wards from unit.
      throw new CycleDetected([unit, ...forward.cycle.slice(1).reverse(), unit]);
    }
    const backward = this.search(dep, lower, "backward");
    this.reorder(backward.visited, forward.visited);
  }

  private search(
    start: string,
    bound: number,
    direction: "forward" | "backward",
    target?: string,
  ): { visited: string[]; cycle?: string[] } {
    const visited: string[] = [];
    const parent = new Map<string, string | null>([[start, null]]);
    const stack = [start];
    while (stack.length > 0) {
      const node = stack.pop()!;
      visited.push(node);
      const next = direction === "forward" ? this.dependentsOf(node) : this.dependenciesOf(node).keys();
      for (const other of next) {
        if (parent.has(other)) continue;
        const pos = this.position.get(other)!;
        if (direction === "forward" ? pos > bound : pos < bound) continue;
        parent.set(other, node);
        if (other === target) {
          const path: string[] = [];
          for (let at: string | null = other; at !== null; at = parent.get(at)!) path.unshift(at);
          return { visited, cycle: path };
        }
        stack.push(other);
      }
    }
    return { visited };
  }

  /** Gives the backward set (dep and what it needs) the lowest of the freed positions. */
  private reorder(backward: string[], forward: string[]): void {
    const byPosition = (a: string, b: string) => this.position.get(a)! - this.position.get(b)!;
    backward.sort(byPosition);
    forward.sort(byPosition);
    const nodes = [...backward, ...forward];
    const slots = nodes.map((n) => this.position.get(n)!).sort((a, b) => a - b);
    nodes.forEach((n, i) => this.position.set(n, slots[i]!));
  }

  private link(unit: string, dep: string, condition: Condition): void {
    let out = this.deps.get(unit);
    if (!out) this.deps.set(unit, (out = new Map()));
    out.set(dep, condition);
    let back = this.dependents.get(dep);
    if (!back) this.dependents.set(dep, (back = new Set()));
    back.add(unit);
    this.edges++;
  }

  private unlink(unit: string, dep: string): void {
    this.deps.get(unit)?.delete(dep);
    this.dependents.get(dep)?.delete(unit);
    this.edges--;
  }
}

const EMPTY: ReadonlyMap<string, Condition> = new Map();
const EMPTY_SET: ReadonlySet<string> = new Set();
