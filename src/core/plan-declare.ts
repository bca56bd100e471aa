// Declaring a whole plan at once: every edge of every unit, or none. The combined edge set (what
// the agent holds plus the plan) is checked first — names, started units, cycles — so that the
// wants that follow cannot be refused half-way.
import { CycleDetected, IllegalTransition, InvalidArgument, LimitExceeded } from "./errors.js";
import { findCycles } from "./cycles.js";
import type { Limits } from "./limits.js";
import { validateUnitName } from "./names.js";
import type { Condition, UnitStatus } from "./status.js";

export interface PlanDeclaration {
  name: string;
  after: { name: string; condition: Condition }[];
}

/** What declaring a plan needs of the registry: its public commands and queries. */
export interface PlanTarget {
  readonly limits: Pick<Limits, "units" | "dependenciesPerUnit" | "nameLength">;
  declare(unit: string, owner: string): unknown;
  want(unit: string, dependencies: readonly string[], condition: Condition, owner: string): unknown;
  get(unit: string): { status: UnitStatus; dependencies: { dependsOn: string; required: Condition }[] };
  graphView(): { nodes: { name: string }[]; edges: { unit: string; dependsOn: string }[] };
}

/**
 * Registers every unit of `units` and declares every edge. Throws before changing anything when
 * a name is invalid, a unit given twice, a limit would be passed, a started unit would get a new
 * edge, or the plan with what the agent holds has a cycle.
 */
export function declarePlan(target: PlanTarget, units: readonly PlanDeclaration[], owner = ""): void {
  const planned = new Map<string, Map<string, Condition>>();
  const { limits } = target;
  for (const unit of units) {
    validateUnitName(unit.name, limits.nameLength);
    if (planned.has(unit.name)) throw new InvalidArgument(`the plan gives unit "${unit.name}" twice; give each unit once`);
    const deps = new Map<string, Condition>();
    for (const dep of unit.after) {
      validateUnitName(dep.name, limits.nameLength);
      deps.set(dep.name, dep.condition);
    }
    planned.set(unit.name, deps);
  }
  const graph = target.graphView();
  // Units and names that are only dependencies count towards the unit limit, as for Want.
  const known = new Set(graph.nodes.map((node) => node.name));
  const fresh = new Set([...planned].flatMap(([name, deps]) => [name, ...deps.keys()]).filter((name) => !known.has(name)));
  if (known.size + fresh.size > limits.units) {
    throw new LimitExceeded(`the plan names ${fresh.size} new units and the agent holds ${known.size}; the limit is ${limits.units}`);
  }
  for (const [name, deps] of planned) {
    const current = target.get(name);
    const existing = new Map(current.dependencies.map((d) => [d.dependsOn, d.required]));
    const total = new Set([...existing.keys(), ...deps.keys()]).size;
    if (total > limits.dependenciesPerUnit) {
      throw new LimitExceeded(`unit "${name}" would have ${total} dependencies; the limit is ${limits.dependenciesPerUnit}`);
    }
    if (current.status === "not registered" || current.status === "pending") continue;
    const changed = [...deps].some(([dep, condition]) => existing.get(dep) !== condition);
    if (changed) throw new IllegalTransition(name, `unit "${name}" is already ${current.status}; declare dependencies before starting it`);
  }
  const edges = new Map<string, Set<string>>();
  const add = (unit: string, dep: string) => {
    let out = edges.get(unit);
    if (!out) edges.set(unit, (out = new Set()));
    out.add(dep);
  };
  for (const edge of graph.edges) add(edge.unit, edge.dependsOn);
  for (const [name, deps] of planned) for (const dep of deps.keys()) add(name, dep);
  const [cycle] = findCycles((name) => edges.get(name) ?? [], planned.keys());
  if (cycle) throw new CycleDetected(cycle);
  for (const [name, deps] of planned) {
    target.declare(name, owner);
    const byCondition = new Map<Condition, string[]>();
    for (const [dep, condition] of deps) byCondition.set(condition, [...(byCondition.get(condition) ?? []), dep]);
    for (const [condition, names] of byCondition) target.want(name, names, condition, owner);
  }
}
