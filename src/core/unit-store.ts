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

/** One attempt of a unit: from registration or a `start` on a finished unit to its outcome. */
export interface AttemptRecord {
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly status: UnitStatus;
  readonly reason: string;
  /** When the attempt began: registration for the first, the `start` call for later ones. */
  readonly beganAt: number;
  readonly startRequestedAt?: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
}

/** How many finished attempts a unit keeps for the timeline; older ones are dropped (the number goes on). */
export const KEPT_ATTEMPTS = 100;

/** One registered unit; the status and times are those of its current (last) attempt. */
export interface UnitRecord {
  readonly name: string;
  readonly owner: string;
  status: UnitStatus;
  reason: string;
  readonly registeredAt: number;
  changedAt: number;
  /** The current attempt's number, 1 for the first. */
  attempt: number;
  beganAt: number;
  startRequestedAt?: number;
  startedAt?: number;
  finishedAt?: number;
  /** Earlier attempts, oldest first, at most KEPT_ATTEMPTS. */
  readonly previous: AttemptRecord[];
  waiter?: Waiter;
}

/** The current attempt of `record`, as the timeline shows it. */
export function currentAttempt(record: UnitRecord): AttemptRecord {
  const { attempt, status, reason, beganAt, startRequestedAt, startedAt, finishedAt } = record;
  return {
    attempt,
    status,
    reason,
    beganAt,
    ...(startRequestedAt !== undefined ? { startRequestedAt } : {}),
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
  };
}

/** The record as the timeline reads it: its last attempt's times, and every kept attempt. */
export function timelineRecord(record: UnitRecord) {
  const { name, status, reason, registeredAt, startRequestedAt, startedAt, finishedAt, attempt } = record;
  return {
    name,
    status,
    reason,
    registeredAt,
    ...(startRequestedAt !== undefined ? { startRequestedAt } : {}),
    ...(startedAt !== undefined ? { startedAt } : {}),
    ...(finishedAt !== undefined ? { finishedAt } : {}),
    attempt,
    attempts: [...record.previous, currentAttempt(record)],
  };
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
