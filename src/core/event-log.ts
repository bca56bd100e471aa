// A bounded, ordered log of events with contiguous sequence numbers; the oldest are dropped first,
// when the log holds more events than its count or more bytes than its byte bound.
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

/** Default byte bound of the log: 64 MiB of event text and overhead. */
export const DEFAULT_EVENT_BYTES = 64 * 1024 * 1024;

/** Fixed cost of one kept event (object, fields, array), in bytes, besides its strings. */
const EVENT_OVERHEAD = 160;

/** What one event costs the log: a fixed overhead plus two bytes per UTF-16 code unit of its strings. */
export function eventBytes(event: Omit<UnitEvent, "seq">): number {
  let chars = event.unit.length + event.reason.length;
  for (const name of event.dependsOn) chars += name.length + 8;
  if (event.detail) for (const [key, value] of Object.entries(event.detail)) chars += key.length + String(value).length + 8;
  return EVENT_OVERHEAD + 2 * chars;
}

export class EventLog {
  /** Kept events from `head` on; the dropped prefix is cut off now and then. */
  private items: UnitEvent[] = [];
  private sizes: number[] = [];
  private head = 0;
  private nextSeq = 1;
  private droppedCount = 0;
  private keptBytes = 0;

  constructor(
    readonly capacity: number,
    readonly maxBytes: number = DEFAULT_EVENT_BYTES,
  ) {}

  append(event: Omit<UnitEvent, "seq">): UnitEvent {
    const full: UnitEvent = { ...event, seq: this.nextSeq++ };
    const bytes = eventBytes(event);
    this.items.push(full);
    this.sizes.push(bytes);
    this.keptBytes += bytes;
    // The newest event is always kept, even when it alone is over the byte bound.
    while (this.size > 1 && (this.size > this.capacity || this.keptBytes > this.maxBytes)) {
      this.keptBytes -= this.sizes[this.head]!;
      this.head++;
      this.droppedCount++;
    }
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    return full;
  }

  /** Every kept event, oldest first. */
  all(): UnitEvent[] {
    return this.items.slice(this.head);
  }

  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  /** Bytes the kept events cost, as eventBytes counts them. */
  get bytes(): number {
    return this.keptBytes;
  }
}
