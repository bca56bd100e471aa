// The wake queue: re-checks the open Start waiters of units whose dependencies may have changed,
// reports progress to them, and settles those that are now ready or blocked.
import { blockedBy, dependencyFailed } from "./blocked-by.js";
import type { StartProgress, UnitRecord, UnitStore, Waiter } from "./unit-store.js";

/** What the registry does when a wait begins, ends without starting, or is ready. */
export interface WaitHooks<T> {
  began(): void;
  ended(error: Error): void;
  ready(): T;
}

export class WakeQueue {
  private readonly queue: string[] = [];
  private draining = false;
  /** Open waits. */
  waiterCount = 0;

  constructor(private readonly store: UnitStore) {}

  /**
   * Opens the wait of `record`'s Start call for `unmet`. It settles when a wake finds it ready
   * (resolving with `hooks.ready()`) or blocked, when `signal` aborts (rejecting with its reason),
   * or when the unit itself completes or fails; the waiter is removed at that moment.
   */
  open<T>(record: UnitRecord, signal: AbortSignal, progress: StartProgress, since: number, hooks: WaitHooks<T>, unmet: string[]): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => waiter.settle(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      const waiter: Waiter = {
        unit: record.name,
        since,
        progress,
        unmet: new Set(unmet),
        settle: (error) => {
          if (record.waiter !== waiter) return;
          record.waiter = undefined;
          this.waiterCount--;
          signal.removeEventListener("abort", onAbort);
          if (error) {
            hooks.ended(error);
            reject(error);
          } else {
            resolve(hooks.ready());
          }
        },
      };
      record.waiter = waiter;
      this.waiterCount++;
      signal.addEventListener("abort", onAbort, { once: true });
      hooks.began();
    });
  }

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
