// The lock table's records: a lock (its capacity, holders and first-come-first-served queue) and a
// lease (a request for a set of locks, queued, held or reserved), with their read-only views.
import type { LeaseView, LockBlocker, LockGrant } from "./lock-request.js";

export interface LockState {
  readonly name: string;
  readonly capacity: number;
  readonly holders: Set<Lease>;
  /** First come first: a Set keeps insertion order. */
  readonly waiters: Set<Lease>;
}

export interface Lease {
  readonly id: string;
  readonly locks: LockState[];
  readonly unit: string;
  readonly holder: string;
  readonly pid: number;
  readonly requestedAt: number;
  grantedAt?: number;
  reserved: boolean;
  /** Set while a request waits: grants or refuses it. */
  settle?: (grant?: LockGrant, error?: unknown) => void;
}

/** What a queued lease waits for: each of its locks that is full or has requests ahead of it. */
export function blockersOf(lease: Lease): LockBlocker[] {
  const out: LockBlocker[] = [];
  for (const lock of lease.locks) {
    let ahead = 0;
    for (const waiter of lock.waiters) {
      if (waiter === lease) break;
      ahead++;
    }
    if (ahead === 0 && lock.holders.size < lock.capacity) continue;
    out.push({ lock: lock.name, capacity: lock.capacity, heldBy: [...lock.holders].map((h) => h.holder), queuedAhead: ahead });
  }
  return out;
}

export function first<T>(set: Set<T>): T | undefined {
  return set.values().next().value;
}

export function leaseView(lease: Lease): LeaseView {
  return {
    leaseId: lease.id,
    holder: lease.holder,
    unit: lease.unit,
    pid: lease.pid,
    requestedAt: lease.requestedAt,
    ...(lease.grantedAt !== undefined ? { grantedAt: lease.grantedAt } : {}),
    reserved: lease.reserved,
    locks: lease.locks.map((l) => l.name),
  };
}
