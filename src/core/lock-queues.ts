// The locks and their queues: each lock's holders and first-come-first-served waiters, and the
// grant of a whole lease once every one of its locks has room and has it first in line. The lock
// table (locks.ts) keeps the leases, their history and their events. Pure: no I/O, no timers.
import { first, type Lease, type LockState } from "./lock-lease.js";
import type { LockSpec } from "./lock-request.js";

/** Who triggered a dispatch: the released lease (its grants waited for it), or none. */
type Trigger = Lease | undefined;

export class LockQueues {
  /** Every lock anyone asked for, by name. */
  readonly locks = new Map<string, LockState>();
  /** Leases waiting in the queues. */
  queued = 0;
  /** Once stopped, nothing is granted any more (see LockTable.stop). */
  stopped = false;
  private readonly work: LockState[] = [];
  private dispatching = false;

  constructor(
    private readonly clock: { now(): number },
    /** A lease was granted, before its request hears of it; `after` is the release it waited for. */
    private readonly onGranted: (lease: Lease, after: Lease | undefined) => void,
  ) {}

  /** The lock named by `spec`, created with the spec's capacity (1 when 0) the first time. */
  lockFor(spec: LockSpec): LockState {
    let lock = this.locks.get(spec.name);
    if (!lock) {
      lock = { name: spec.name, capacity: spec.capacity || 1, holders: new Set(), waiters: new Set() };
      this.locks.set(spec.name, lock);
    }
    return lock;
  }

  /** Grants `lease` at once when every lock has room and nobody waits for it; else queues it. True when granted. */
  enter(lease: Lease): boolean {
    if (!this.stopped && lease.locks.every((lock) => lock.holders.size < lock.capacity && lock.waiters.size === 0)) {
      this.grant(lease, undefined);
      return true;
    }
    for (const lock of lease.locks) lock.waiters.add(lease);
    this.queued++;
    return false;
  }

  /** Makes `lease` a holder of its locks without a grant (a lease restored after a restart). */
  hold(lease: Lease): void {
    for (const lock of lease.locks) lock.holders.add(lease);
  }

  /** A held lease lets go of its locks; `dispatch` then hands them on. */
  vacate(lease: Lease): void {
    for (const lock of lease.locks) lock.holders.delete(lease);
  }

  /** A queued lease leaves every queue; `dispatch` then lets later requests through. */
  leave(lease: Lease): void {
    for (const lock of lease.locks) lock.waiters.delete(lease);
    this.queued--;
  }

  /**
   * Grants every request that can now go: a request goes when it is first in the queue of each of
   * its locks and each has room. Each grant can make a new first waiter elsewhere, so those locks
   * are looked at again; every lock is looked at only when something about it changed.
   */
  dispatch(locks: readonly LockState[], trigger: Trigger): void {
    if (this.stopped) return;
    this.work.push(...locks);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let lock = this.work.pop(); lock; lock = this.work.pop()) {
        for (let head = first(lock.waiters); head && this.grantable(head); head = first(lock.waiters)) {
          this.grant(head, trigger);
          for (const other of head.locks) if (other !== lock) this.work.push(other);
        }
      }
    } finally {
      this.dispatching = false;
    }
  }

  private grant(lease: Lease, trigger: Trigger): void {
    let wasQueued = false;
    for (const lock of lease.locks) wasQueued = lock.waiters.delete(lease) || wasQueued;
    if (wasQueued) this.queued--;
    for (const lock of lease.locks) lock.holders.add(lease);
    lease.grantedAt = this.clock.now();
    this.onGranted(lease, wasQueued ? trigger : undefined);
    lease.settle?.({ locks: lease.locks.map((l) => l.name), waitedMs: lease.grantedAt - lease.requestedAt, reclaimed: false });
  }

  private grantable(lease: Lease): boolean {
    return lease.locks.every((lock) => lock.holders.size < lock.capacity && first(lock.waiters) === lease);
  }
}
