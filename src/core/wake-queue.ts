// The wake queue: re-checks the open Start waiters of units whose dependencies may have changed,
// reports progress to them, and settles those that are now ready or blocked.
import { blockedBy, dependencyFailed } from "./blocked-by.js";
import type { UnitStore, Waiter } from "./unit-store.js";

export class WakeQueue {
  private readonly queue: string[] = [];
  private draining = false;

  constructor(private readonly store: UnitStore) {}

  /**
   * Re-checks the open waiters of these units. A waiter that settles starts its unit, whose
   * transition wakes its own dependents: those only join the queue, which the outermost call
   * drains in order, so a chain of any length never deepens the stack and a unit's start comes
   * before its dependents'. A unit queued twice is re-checked twice; a settled waiter is gone by then.
   */
  wake(names: Iterable<string>): void {
    for (const name of names) this.queue.push(name);
    if (this.draining) return;
    this.draining = true;
    let failure: { error: unknown } | undefined;
    try {
      for (let next = 0; next < this.queue.length; next++) {
        const waiter = this.store.units.get(this.queue[next]!)?.waiter;
        if (!waiter) continue;
        try {
          this.evaluate(waiter);
        } catch (error) {
          // A progress callback threw: the other waiters are still re-checked, then the caller hears of it.
          failure ??= { error };
        }
      }
    } finally {
      this.queue.length = 0;
      this.draining = false;
    }
    if (failure) throw failure.error;
  }

  private evaluate(waiter: Waiter): void {
    const blocked = blockedBy(this.store, waiter.unit);
    if (blocked) return waiter.settle(dependencyFailed(waiter.unit, blocked));
    const unmet = this.store.unmet(waiter.unit);
    const still = new Set(unmet);
    const added = unmet.filter((d) => !waiter.unmet.has(d));
    for (const dep of waiter.unmet) {
      if (still.has(dep)) continue;
      waiter.unmet.delete(dep);
      waiter.progress.onSatisfied?.(dep, this.store.statusOf(dep), unmet);
    }
    if (added.length > 0) {
      waiter.unmet = still;
      waiter.progress.onWaiting?.(unmet, unmet.filter((d) => !this.store.units.has(d)));
    }
    if (unmet.length === 0) waiter.settle();
  }
}
