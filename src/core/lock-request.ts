// What a lock request is and how it is checked: the lock table's inputs, outputs, events and
// limits, and the validation of a whole request before the table changes anything. Pure.
import { InvalidArgument, InvalidName, LimitExceeded, LockConflict } from "./errors.js";
import { validateUnitName } from "./names.js";

export interface LockSpec {
  readonly name: string;
  /** 0: the lock's capacity (1 for a new lock). */
  readonly capacity: number;
}

export interface LockRequest {
  /** Chosen by the client, unique per lease; a reserved lease is re-claimed by the same id. */
  readonly leaseId: string;
  readonly locks: readonly LockSpec[];
  /** The unit the lease is for, or "". */
  readonly unit: string;
  /** Who made the call (`unitsync up` sets it to the script's name), or "". */
  readonly owner: string;
  readonly pid: number;
}

export interface LeaseView {
  leaseId: string;
  holder: string;
  unit: string;
  pid: number;
  requestedAt: number;
  grantedAt?: number;
  reserved: boolean;
  locks: string[];
}

export interface LockView {
  name: string;
  capacity: number;
  holders: LeaseView[];
  queue: LeaseView[];
}

/** Why one lock of a queued request has no room for it yet. */
export interface LockBlocker {
  lock: string;
  capacity: number;
  heldBy: string[];
  queuedAhead: number;
}

export interface LockGrant {
  locks: string[];
  waitedMs: number;
  reclaimed: boolean;
}

export type LockEventKind = "lock-requested" | "lock-granted" | "lock-released" | "lock-wait-ended";

export interface LockEvent {
  readonly kind: LockEventKind;
  readonly time: number;
  readonly unit: string;
  readonly leaseId: string;
  readonly holder: string;
  /** The pid the lease was asked for by. */
  readonly pid: number;
  readonly locks: readonly string[];
  /** With lock-granted after a wait: the holder whose release let it through. */
  readonly releasedBy: string;
  readonly reason: string;
  /**
   * With lock-released: the table's stop ended the lease (the agent's shutdown aborted its
   * stream), not its holder. Such a release is not journalled: the lease comes back reserved.
   */
  readonly byStop?: boolean;
}

/** The last lease of one unit, for the timeline. */
export interface UnitLockRecord {
  readonly leaseId: string;
  readonly locks: readonly string[];
  readonly requestedAt: number;
  grantedAt?: number;
  releasedAt?: number;
  /** When it had to wait: who held what it needed last (holder label, and unit if any). */
  waitedFor?: { holder: string; unit: string };
}

export interface LockLimits {
  /** Lock names the table knows. */
  locks: number;
  locksPerRequest: number;
  capacity: number;
  leaseIdLength: number;
}

export const DEFAULT_LOCK_LIMITS: LockLimits = { locks: 10_000, locksPerRequest: 64, capacity: 100_000, leaseIdLength: 128 };

/**
 * Validates the whole request before anything changes; returns its locks without repeats.
 * `capacityOf` gives the capacity of a lock the table knows; `lockCount` is how many it knows.
 */
export function checkLockRequest(
  request: LockRequest,
  limits: LockLimits,
  capacityOf: (name: string) => number | undefined,
  lockCount: number,
): LockSpec[] {
  const { leaseId, locks } = request;
  if (leaseId.length === 0) throw new InvalidArgument("lease id is empty; give every lock request a unique id, such as a random UUID");
  if (leaseId.length > limits.leaseIdLength) throw new InvalidArgument(`lease id is ${leaseId.length} characters; the limit is ${limits.leaseIdLength}`);
  if (locks.length === 0) throw new InvalidArgument("no locks requested; name at least one lock");
  if (locks.length > limits.locksPerRequest) {
    throw new LimitExceeded(`${locks.length} locks in one request; the limit is ${limits.locksPerRequest}`);
  }
  const specs = new Map<string, LockSpec>();
  let fresh = 0;
  for (const spec of locks) {
    try {
      validateUnitName(spec.name);
    } catch (error) {
      if (error instanceof InvalidName) throw new InvalidName(`invalid lock name (lock names follow the unit-name rule): ${error.message}`);
      throw error;
    }
    if (!Number.isInteger(spec.capacity) || spec.capacity < 0 || spec.capacity > limits.capacity) {
      throw new InvalidArgument(`lock "${spec.name}": capacity ${spec.capacity} is out of range 1-${limits.capacity}`);
    }
    const seen = specs.get(spec.name);
    if (seen && seen.capacity !== spec.capacity && seen.capacity !== 0 && spec.capacity !== 0) {
      throw new InvalidArgument(`lock "${spec.name}" is named twice with capacities ${seen.capacity} and ${spec.capacity}`);
    }
    const known = capacityOf(spec.name);
    if (known && spec.capacity !== 0 && spec.capacity !== known) {
      throw new LockConflict(
        `lock "${spec.name}" has capacity ${known}, not ${spec.capacity}: its first use fixed it; ask for "${spec.name}" or "${spec.name}:${known}"`,
      );
    }
    if (!known && !seen) fresh++;
    if (!seen || seen.capacity === 0) specs.set(spec.name, spec);
  }
  if (lockCount + fresh > limits.locks) {
    throw new LimitExceeded(`the agent knows ${lockCount} locks; the limit is ${limits.locks}`);
  }
  return [...specs.values()];
}
