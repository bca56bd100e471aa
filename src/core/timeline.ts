// The start-up timeline: per-unit waits and runs, and the critical chain that decided when the
// last unit finished (each link is the dependency whose satisfaction released the next unit).
// The chain reads each unit's last attempt.
import type { Condition, UnitStatus } from "./status.js";
import type { AttemptRecord } from "./unit-store.js";

/** One unit: the status and times of its last attempt, and every kept attempt. */
export interface TimelineRecord {
  readonly name: string;
  readonly status: UnitStatus;
  readonly reason: string;
  readonly registeredAt: number;
  readonly startRequestedAt?: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  /** The last attempt's number, 1 for the first. */
  readonly attempt: number;
  /** Every kept attempt, oldest first; the last is the current one. */
  readonly attempts: readonly AttemptRecord[];
}

export interface Timeline {
  entries: TimelineRecord[];
  /** From the first link to the unit that finished last. */
  criticalChain: string[];
}

/** The time at which `record` met `condition`, if it has. */
function metAt(record: TimelineRecord | undefined, condition: Condition): number | undefined {
  if (!record) return undefined;
  if (condition === "started") return record.startedAt ?? (record.status === "completed" ? record.finishedAt : undefined);
  if (condition === "completed") return record.status === "completed" ? record.finishedAt : undefined;
  return record.finishedAt;
}

export function buildTimeline(
  records: readonly TimelineRecord[],
  dependenciesOf: (unit: string) => ReadonlyMap<string, Condition>,
  /** A lock wait of the unit that ended after its dependencies were met: the unit whose release ended it. */
  lockWaitOf: (unit: string) => { grantedAt: number; holder: string } | undefined = () => undefined,
): Timeline {
  const byName = new Map(records.map((r) => [r.name, r]));
  // The chain ends at the unit that ran last; a unit failed without ever starting did not run.
  const end = (r: TimelineRecord) => (r.startedAt === undefined ? undefined : (r.finishedAt ?? r.startedAt));
  let last: TimelineRecord | undefined;
  for (const record of records) {
    const at = end(record);
    if (at !== undefined && (last === undefined || at >= end(last)!)) last = record;
  }
  const chain: string[] = [];
  const seen = new Set<string>();
  for (let current = last; current && !seen.has(current.name); ) {
    seen.add(current.name);
    chain.unshift(current.name);
    let holder: TimelineRecord | undefined;
    let holderAt = -Infinity;
    for (const [dep, condition] of dependenciesOf(current.name)) {
      const at = metAt(byName.get(dep), condition);
      if (at !== undefined && at > holderAt) [holder, holderAt] = [byName.get(dep), at];
    }
    // A lock wait that ended after the last dependency was met decided when the unit ran: the
    // chain goes on through the holder whose release granted it.
    const lock = lockWaitOf(current.name);
    if (lock && lock.grantedAt >= holderAt && byName.has(lock.holder)) {
      current = byName.get(lock.holder);
      continue;
    }
    // A unit whose start was requested after its last dependency was met was not held by it.
    if (holder && current.startRequestedAt !== undefined && holderAt < current.startRequestedAt) break;
    current = holder;
  }
  return { entries: [...records], criticalChain: chain };
}
