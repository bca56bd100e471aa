// The unit state machine's transitions: registering a unit, beginning its next attempt, moving it to
// started, completed or failed. Each is recorded as an event and wakes the open Start calls it may
// settle; the registry's commands decide what is allowed. Pure: no I/O, no timers.
import { beginPendingAttempt, beginRetryAttempt } from "./attempts.js";
import { blockedDependents } from "./blocked-by.js";
import { IllegalTransition } from "./errors.js";
import type { EventBus } from "./event-bus.js";
import type { EventKind } from "./event-log.js";
import type { UnitStatus } from "./status.js";
import type { Clock, UnitRecord, UnitStore } from "./unit-store.js";
import type { WakeQueue } from "./wake-queue.js";

export class Transitions {
  constructor(
    private readonly store: UnitStore,
    private readonly bus: EventBus,
    private readonly wakeQueue: WakeQueue,
    private readonly clock: Clock,
  ) {}

  /** The record of `unit`, registered as pending (attempt 1) when it is new. */
  register(unit: string, owner: string): UnitRecord {
    let record = this.store.units.get(unit);
    if (record) return record;
    const now = this.clock.now();
    record = { name: unit, owner, status: "pending", reason: "", registeredAt: now, changedAt: now, attempt: 1, beganAt: now, previous: [] };
    this.store.units.set(unit, record);
    this.store.graph.touch(unit);
    this.emit(unit, "status-changed", "not registered", "pending", "");
    return record;
  }

  /** completed|failed -> pending as attempt n+1; its dependents no longer count it as satisfied. */
  beginAttempt(record: UnitRecord, now: number): void {
    const from = beginPendingAttempt(record, now);
    if (from === "failed") this.store.failedCount--;
    this.emit(record.name, "status-changed", from, "pending", "");
    // Open waits of direct dependents may need it again; nothing further down changes.
    this.wakeQueue.wake(this.store.graph.dependentsOf(record.name));
  }

  /** started -> started as attempt n+1; the attempt that ends is kept as failed with `reason`. */
  retry(record: UnitRecord, reason: string): void {
    beginRetryAttempt(record, reason, this.clock.now());
    this.emit(record.name, "status-changed", "started", "started", `attempt ${record.attempt - 1} failed: ${reason}`);
  }

  /** Returns, for a failure, the dependents it blocks over blocking edges (see blockedDependents). */
  to(record: UnitRecord, to: UnitStatus, reason: string, now = this.clock.now()): string[] {
    const from = record.status;
    record.status = to;
    record.reason = reason;
    record.changedAt = now;
    if (to === "started") record.startedAt = now;
    if (to === "completed" || to === "failed") record.finishedAt = now;
    if (to === "failed") this.store.failedCount++;
    this.emit(record.name, "status-changed", from, to, reason);
    // A unit that completes or fails while its own Start call waits can no longer start.
    record.waiter?.settle(new IllegalTransition(record.name, `unit "${record.name}" was marked ${to} while waiting to start`));
    // A completion or start only changes what its direct dependents wait for; a failure blocks
    // every dependent over blocking edges, and satisfies direct dependents on "finished" edges.
    const dependents = this.store.graph.dependentsOf(record.name);
    const blocked = to === "failed" ? blockedDependents(this.store.graph, record.name) : [];
    this.wakeQueue.wake(to === "failed" ? new Set([...blocked, ...dependents]) : dependents);
    return blocked;
  }

  /** Appends a unit event, numbered with the unit's current attempt, and delivers it. */
  emit(unit: string, kind: EventKind, from: UnitStatus, to: UnitStatus, reason: string, dependsOn: readonly string[] = []): void {
    const attempt = this.store.units.get(unit)?.attempt ?? 0;
    this.bus.emit({ time: this.clock.now(), unit, kind, from, to, reason, dependsOn, attempt });
  }
}
