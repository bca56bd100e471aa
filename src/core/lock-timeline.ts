// The timeline with lock waits: the critical chain passes through a lock's holder when waiting
// for it decided when a unit ran, and each unit's last lease (asked, granted, released, waited for).
import type { UnitLockRecord } from "./locks.js";
import type { Condition } from "./status.js";
import { buildTimeline, type Timeline } from "./timeline.js";

export interface LockWait {
  unit: string;
  locks: readonly string[];
  waitedMs: number;
  /** The unit (or owner) whose release granted it. */
  holder: string;
}

/** Re-derives the critical chain of `timeline` with the lock waits of `locks` taken into account. */
export function timelineWithLocks(
  timeline: Timeline,
  edges: readonly { unit: string; dependsOn: string; required: Condition }[],
  locks: ReadonlyMap<string, Readonly<UnitLockRecord>>,
): Timeline {
  const dependencies = new Map<string, Map<string, Condition>>();
  for (const e of edges) {
    let of = dependencies.get(e.unit);
    if (!of) dependencies.set(e.unit, (of = new Map()));
    of.set(e.dependsOn, e.required);
  }
  const none = new Map<string, Condition>();
  return buildTimeline(
    timeline.entries,
    (unit) => dependencies.get(unit) ?? none,
    (unit) => {
      const record = locks.get(unit);
      const holder = record?.waitedFor?.unit;
      return record?.grantedAt !== undefined && holder ? { grantedAt: record.grantedAt, holder } : undefined;
    },
  );
}

/** Every unit that waited for a lock, in the order the timeline lists units. */
export function lockWaits(timeline: Timeline, locks: ReadonlyMap<string, Readonly<UnitLockRecord>>): LockWait[] {
  const out: LockWait[] = [];
  for (const entry of timeline.entries) {
    const record = locks.get(entry.name);
    if (!record?.waitedFor || record.grantedAt === undefined) continue;
    out.push({ unit: entry.name, locks: record.locks, waitedMs: record.grantedAt - record.requestedAt, holder: record.waitedFor.holder });
  }
  return out;
}
