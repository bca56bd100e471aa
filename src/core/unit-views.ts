// Read-only views of units, as every query and RPC returns them.
import { type BlockMemo, type BlockedView, blockedBy } from "./blocked-by.js";
import { type Condition, type UnitStatus, satisfies } from "./status.js";
import type { UnitStore } from "./unit-store.js";

export type { BlockedView } from "./blocked-by.js";

export interface DependencyView {
  dependsOn: string;
  required: Condition;
  current: UnitStatus;
  satisfied: boolean;
}

export interface UnitView {
  name: string;
  status: UnitStatus;
  ready: boolean;
  dependencies: DependencyView[];
  blocked?: BlockedView;
  reason: string;
  waiting: boolean;
  /** Who registered the unit (for `up`: the script), empty when unknown. */
  owner: string;
  /** The current attempt, 1 for the first; 0 for a name nobody registered. */
  attempt: number;
  registeredAt?: number;
  changedAt?: number;
}

/** Describes `name`, registered or not; `memo` may be shared by views of the same state. */
export function unitView(store: UnitStore, name: string, memo?: BlockMemo): UnitView {
  const record = store.units.get(name);
  const dependencies: DependencyView[] = [];
  for (const [dependsOn, required] of store.graph.dependenciesOf(name)) {
    const current = store.statusOf(dependsOn);
    dependencies.push({ dependsOn, required, current, satisfied: satisfies(required, current) });
  }
  const blocked = record?.status === "pending" ? blockedBy(store, name, memo) : undefined;
  return {
    name,
    status: record?.status ?? "not registered",
    ready: dependencies.every((d) => d.satisfied),
    dependencies,
    ...(blocked ? { blocked } : {}),
    reason: record?.reason ?? "",
    waiting: record?.waiter !== undefined,
    owner: record?.owner ?? "",
    attempt: record?.attempt ?? 0,
    ...(record ? { registeredAt: record.registeredAt, changedAt: record.changedAt } : {}),
  };
}
