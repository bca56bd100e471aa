// The unit records and the dependency graph: the state every part of the registry reads.
import { LimitExceeded, UnitNotFound } from "./errors.js";
import { DependencyGraph } from "./graph.js";
import { type UnitStatus, satisfies } from "./status.js";

export interface Clock {
  now(): number;
}

export interface StartProgress {
  /** The wait could not start at once: what it waits for. */
  onWaiting?(unmet: string[], unregistered: string[]): void;
  /** One dependency reached its required status; `unmet` is what is left. */
  onSatisfied?(dependency: string, status: UnitStatus, unmet: string[]): void;
}

/** The open wait of one Start call. */
export interface Waiter {
  readonly unit: string;
  readonly since: number;
  readonly progress: StartProgress;
  unmet: Set<string>;
  settle(error?: Error): void;
}

/** One registered unit. */
export interface UnitRecord {
  readonly name: string;
  readonly owner: string;
  status: UnitStatus;
  reason: string;
  readonly registeredAt: number;
  changedAt: number;
  startRequestedAt?: number;
  startedAt?: number;
  finishedAt?: number;
  waiter?: Waiter;
}

export class UnitStore {
  /** Registered units, in registration order. */
  readonly units = new Map<string, UnitRecord>();
  /** Every edge, and every name used as a unit or a dependency. */
  readonly graph = new DependencyGraph();
  /** Units that failed; while 0, no unit can be blocked. */
  failedCount = 0;

  statusOf(name: string): UnitStatus {
    return this.units.get(name)?.status ?? "not registered";
  }

  /** The dependencies of `unit` not yet in their required status, in declaration order. */
  unmet(unit: string): string[] {
    const out: string[] = [];
    for (const [dep, condition] of this.graph.dependenciesOf(unit)) {
      if (!satisfies(condition, this.statusOf(dep))) out.push(dep);
    }
    return out;
  }

  mustGet(unit: string): UnitRecord {
    const record = this.units.get(unit);
    if (!record) throw new UnitNotFound(unit);
    return record;
  }

  /** Units and names that are only dependencies both count towards the unit limit. */
  checkNameLimit(names: readonly string[], limit: number): void {
    const total = this.graph.size + new Set(names.filter((n) => !this.graph.has(n))).size;
    if (total > limit) {
      throw new LimitExceeded(`the agent holds ${this.graph.size} units; the limit is ${limit}`);
    }
  }
}
