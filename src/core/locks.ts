// The lock table: named locks with a capacity, leases granted atomically for a whole set of locks,
// first come first served among requests that share a lock. It keeps the leases (asked, held,
// reserved across a restart), each unit's last lease and the events; who holds and who waits is
// the lock queues' (lock-queues.ts). Pure: no I/O, no timers.
import { LockConflict } from "./errors.js";
import { blockersOf, type Lease, leaseView } from "./lock-lease.js";
import { LockQueues } from "./lock-queues.js";
import {
  DEFAULT_LOCK_LIMITS,
  type LeaseView,
  type LockBlocker,
  type LockEvent,
  type LockEventKind,
  type LockGrant,
  type LockLimits,
  type LockRequest,
  type LockSpec,
  type LockView,
  type UnitLockRecord,
  checkLockRequest,
} from "./lock-request.js";

export * from "./lock-request.js";

export interface LockTableOptions {
  clock?: { now(): number };
  limits?: Partial<LockLimits>;
  /** Every change, in order; a throwing listener stops nothing. */
  onEvent?: (event: LockEvent) => void;
  /** Units whose last lease is kept for the timeline; the oldest is forgotten first. */
  unitHistory?: number;
}

export class LockTable {
  readonly limits: LockLimits;
  private readonly clock: { now(): number };
  private readonly queues: LockQueues;
  private readonly leases = new Map<string, Lease>();
  private readonly history = new Map<string, UnitLockRecord>();
  private readonly onEvent: (event: LockEvent) => void;
  private readonly unitHistory: number;
  /** The reason the stop's shutdown aborts every lease stream with (see stop). */
  private stopReason: unknown;

  constructor(options: LockTableOptions = {}) {
    this.clock = options.clock ?? Date;
    this.limits = { ...DEFAULT_LOCK_LIMITS, ...options.limits };
    this.onEvent = options.onEvent ?? (() => {});
    this.unitHistory = options.unitHistory ?? 10_000;
    this.queues = new LockQueues(this.clock, (lease, after) => this.granted(lease, after));
  }

  /**
   * Asks for every lock of the request at once. Resolves when granted; the lease is then held
   * until `signal` aborts, which releases it at once. An abort while queued leaves the queue and
   * rejects with the signal's reason. Nothing is left behind either way.
   */
  acquire(request: LockRequest, signal: AbortSignal, onQueued: (blockers: LockBlocker[]) => void = () => {}): Promise<LockGrant> {
    try {
      return this.request(request, signal, onQueued);
    } catch (error) {
      return Promise.reject(error); // a bad request changes nothing
    }
  }

  private request(request: LockRequest, signal: AbortSignal, onQueued: (blockers: LockBlocker[]) => void): Promise<LockGrant> {
    const specs = this.check(request);
    const existing = this.leases.get(request.leaseId);
    if (existing) return this.reclaim(existing, specs, signal);
    signal.throwIfAborted();
    const lease: Lease = {
      id: request.leaseId,
      locks: specs.map((spec) => this.queues.lockFor(spec)),
      unit: request.unit,
      holder: request.unit || request.owner || `pid ${request.pid}`,
      pid: request.pid,
      requestedAt: this.clock.now(),
      reserved: false,
    };
    this.leases.set(lease.id, lease);
    this.remember(lease);
    this.emit("lock-requested", lease);
    return new Promise<LockGrant>((resolve, reject) => {
      const onAbort = () => {
        if (lease.grantedAt !== undefined) this.release(lease, "stream ended", signal.reason);
        else this.withdraw(lease, signal.reason);
      };
      lease.settle = (grant, error) => {
        lease.settle = undefined;
        if (grant) resolve(grant);
        else {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        }
      };
      signal.addEventListener("abort", onAbort, { once: true });
      if (!this.queues.enter(lease)) onQueued(blockersOf(lease));
    });
  }

  /** After an agent restart: a lease that was held, kept with no stream until re-claimed or released. */
  restoreHeld(leaseId: string, locks: readonly LockSpec[], holder: { unit: string; holder: string; pid: number; grantedAt?: number }): void {
    const specs = this.check({ leaseId, locks, unit: holder.unit, owner: holder.holder, pid: holder.pid });
    if (this.leases.has(leaseId)) throw new LockConflict(`lease "${leaseId}" is already in the lock table`);
    for (const spec of specs) {
      const lock = this.queues.locks.get(spec.name);
      if (lock && lock.holders.size >= lock.capacity) throw new LockConflict(`lock "${spec.name}" has no room to restore lease "${leaseId}"`);
    }
    const now = this.clock.now();
    const lease: Lease = {
      id: leaseId,
      locks: specs.map((spec) => this.queues.lockFor(spec)),
      unit: holder.unit,
      holder: holder.holder || holder.unit || `pid ${holder.pid}`,
      pid: holder.pid,
      requestedAt: holder.grantedAt ?? now,
      grantedAt: holder.grantedAt ?? now,
      reserved: true,
    };
    this.leases.set(leaseId, lease);
    this.queues.hold(lease);
  }

  /** Ends a reserved lease nobody re-claimed (the grace period is over). False when there is none. */
  releaseReserved(leaseId: string): boolean {
    const lease = this.leases.get(leaseId);
    if (!lease?.reserved) return false;
    this.release(lease, "not re-claimed after a restart");
    return true;
  }

  /**
   * The agent stops: from now on nothing is granted, so the leases its shutdown ends hand their
   * locks to nobody (they come back reserved for their holders in the next agent). The shutdown
   * aborts the lease streams with `reason`: those releases are the stop's (byStop); a release
   * for any other reason (its holder's cancel) is the holder's, even while the agent stops.
   */
  stop(reason: unknown = new Error("the lock table stopped")): void {
    this.queues.stopped = true;
    this.stopReason = reason;
  }

  /** Every lock, by name. */
  list(): LockView[] {
    return [...this.queues.locks.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((lock) => ({ name: lock.name, capacity: lock.capacity, holders: [...lock.holders].map(leaseView), queue: [...lock.waiters].map(leaseView) }));
  }

  /** Every lease, held or queued, in request order (for a journal, or status). */
  leaseList(): LeaseView[] {
    return [...this.leases.values()].map(leaseView);
  }

  capacityOf(name: string): number | undefined {
    return this.queues.locks.get(name)?.capacity;
  }

  /** The locks leases for `unit` hold and wait for. */
  locksOf(unit: string): { held: string[]; waiting: string[] } {
    const held: string[] = [];
    const waiting: string[] = [];
    for (const lease of this.leases.values()) {
      if (lease.unit !== unit) continue;
      (lease.grantedAt !== undefined ? held : waiting).push(...lease.locks.map((l) => l.name));
    }
    return { held, waiting };
  }

  /** The last lease of each unit that asked for one. */
  unitRecords(): ReadonlyMap<string, Readonly<UnitLockRecord>> {
    return this.history;
  }

  counts(): { locks: number; holders: number; queued: number } {
    const { locks, queued } = this.queues;
    return { locks: locks.size, holders: this.leases.size - queued, queued };
  }

  // ---- internals ------------------------------------------------------------------------------

  /** The request's locks without repeats, or the reason it is refused; nothing changes either way. */
  private check(request: LockRequest): LockSpec[] {
    const { locks } = this.queues;
    return checkLockRequest(request, this.limits, (name) => locks.get(name)?.capacity, locks.size);
  }

  /** A request with the id of a lease the table has: re-claims it when it is reserved. */
  private reclaim(lease: Lease, specs: LockSpec[], signal: AbortSignal): Promise<LockGrant> {
    if (!lease.reserved) throw new LockConflict(`lease "${lease.id}" is already open; give every lock request its own id`);
    const names = new Set(specs.map((s) => s.name));
    if (names.size !== lease.locks.length || !lease.locks.every((l) => names.has(l.name))) {
      throw new LockConflict(`lease "${lease.id}" holds ${lease.locks.map((l) => `"${l.name}"`).join(", ")}; re-claim it with the same locks`);
    }
    signal.throwIfAborted();
    lease.reserved = false;
    signal.addEventListener("abort", () => this.release(lease, "stream ended", signal.reason), { once: true });
    this.emit("lock-granted", lease, "", "re-claimed after a restart");
    return Promise.resolve({ locks: lease.locks.map((l) => l.name), waitedMs: 0, reclaimed: true });
  }

  /** The queues granted `lease`; `after` is the release it waited for. */
  private granted(lease: Lease, after: Lease | undefined): void {
    const record = this.history.get(lease.unit);
    if (lease.unit && record?.leaseId === lease.id) {
      record.grantedAt = lease.grantedAt;
      if (after) record.waitedFor = { holder: after.holder, unit: after.unit };
    }
    this.emit("lock-granted", lease, after ? after.holder : "");
  }

  private release(lease: Lease, reason: string, cause?: unknown): void {
    if (this.leases.get(lease.id) !== lease) return;
    this.leases.delete(lease.id);
    this.queues.vacate(lease);
    const record = this.history.get(lease.unit);
    if (lease.unit && record?.leaseId === lease.id) record.releasedAt = this.clock.now();
    this.emit("lock-released", lease, "", reason, this.queues.stopped && cause !== undefined && cause === this.stopReason);
    this.queues.dispatch(lease.locks, lease);
  }

  /** A queued request gives up: it leaves every queue, which may let later requests through. */
  private withdraw(lease: Lease, reason: unknown): void {
    if (this.leases.get(lease.id) !== lease) return;
    this.leases.delete(lease.id);
    this.queues.leave(lease);
    this.emit("lock-wait-ended", lease, "", reason instanceof Error ? reason.message : "request ended");
    lease.settle?.(undefined, reason);
    this.queues.dispatch(lease.locks, undefined);
  }

  private remember(lease: Lease): void {
    if (!lease.unit) return;
    this.history.delete(lease.unit); // re-inserted last: the oldest unit is first in the map
    this.history.set(lease.unit, { leaseId: lease.id, locks: lease.locks.map((l) => l.name), requestedAt: lease.requestedAt });
    if (this.history.size > this.unitHistory) this.history.delete(this.history.keys().next().value!);
  }

  private emit(kind: LockEventKind, lease: Lease, releasedBy = "", reason = "", byStop = false): void {
    const event: LockEvent = {
      kind,
      time: this.clock.now(),
      unit: lease.unit,
      leaseId: lease.id,
      holder: lease.holder,
      pid: lease.pid,
      locks: lease.locks.map((l) => l.name),
      releasedBy,
      reason,
      ...(byStop ? { byStop } : {}),
    };
    try {
      this.onEvent(event);
    } catch {
      // a broken listener must not stop a grant or a release
    }
  }
}
