// A bounded, ordered log of events with contiguous sequence numbers; the oldest are dropped first.
import type { UnitStatus } from "./status.js";

/**
 * What an event records. The registry records the first four; other core modules composed at the
 * agent level (locks, services) add their kinds here, one per line, and record them through
 * `Registry.record` so that every event shares one seq-numbered log.
 */
export type EventKind =
  | "status-changed"
  | "dependencies-declared"
  | "wait-began"
  | "wait-ended"
  // src/core/processes.ts: the process behind a unit (spawned, a check's progress, ready, exited, retrying)
  | "process-started"
  | "process-checked"
  | "process-ready"
  | "process-exited"
  | "process-retrying"
  // src/core/locks.ts: lock leases (requested, granted, released, a queued request that gave up)
  | "lock-requested"
  | "lock-granted"
  | "lock-released"
  | "lock-wait-ended";

export interface UnitEvent {
  readonly seq: number;
  readonly time: number;
  readonly unit: string;
  readonly kind: EventKind;
  readonly from: UnitStatus;
  readonly to: UnitStatus;
  readonly reason: string;
  readonly dependsOn: readonly string[];
  /** The unit's attempt when the event happened (1 for the first); 0 or absent for a name nobody registered. */
  readonly attempt?: number;
  /** Extra fields of a kind recorded by another core module (a lock name, a pid, an exit status). */
  readonly detail?: Readonly<Record<string, string | number | boolean>>;
}

export class EventLog {
  private readonly ring: UnitEvent[] = [];
  private head = 0;
  private nextSeq = 1;
  private droppedCount = 0;

  constructor(readonly capacity: number) {}

  append(event: Omit<UnitEvent, "seq">): UnitEvent {
    const full: UnitEvent = { ...event, seq: this.nextSeq++ };
    if (this.ring.length < this.capacity) {
      this.ring.push(full);
    } else {
      this.ring[this.head] = full;
      this.head = (this.head + 1) % this.capacity;
      this.droppedCount++;
    }
    return full;
  }

  /** Every kept event, oldest first. */
  all(): UnitEvent[] {
    return [...this.ring.slice(this.head), ...this.ring.slice(0, this.head)];
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  get size(): number {
    return this.ring.length;
  }
}
