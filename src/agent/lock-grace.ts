// Locks across an agent restart: the leases the journal says were held are put back as reserved
// for their holders, who re-claim them with the same lease id; one timer releases every lease
// not re-claimed when the grace period is over. The timer is cleared when the agent stops.
import type { LockTable } from "../core/locks.js";
import type { HeldLease } from "./journal-ops.js";

export const DEFAULT_LOCK_GRACE_MS = 10_000;

export interface LockGrace {
  /** Lease ids restored as reserved. */
  readonly restored: readonly string[];
  /** Stops the timer (the agent shuts down); idempotent. */
  clear(): void;
}

export function restoreLeases(locks: LockTable, leases: ReadonlyMap<string, HeldLease>, graceMs: number, log: (line: string) => void): LockGrace {
  const restored: string[] = [];
  for (const [leaseId, lease] of leases) {
    try {
      locks.restoreHeld(leaseId, lease.locks, { unit: lease.unit, holder: lease.holder, pid: lease.pid, grantedAt: lease.grantedAt });
      restored.push(leaseId);
    } catch (error) {
      log(`lock lease ${leaseId} of ${lease.holder} not restored: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (restored.length === 0) return { restored, clear: () => {} };
  const names = [...new Set(restored.flatMap((id) => leases.get(id)!.locks.map((l) => `"${l.name}"`)))];
  log(`${restored.length} lock lease(s) on ${names.join(", ")} reserved for their holders for ${graceMs} ms`);
  const expire = () => {
    for (const leaseId of restored) {
      if (locks.releaseReserved(leaseId)) log(`lock lease ${leaseId} of ${leases.get(leaseId)!.holder} not re-claimed within ${graceMs} ms; released`);
    }
  };
  let timer: NodeJS.Timeout | undefined = setTimeout(() => ((timer = undefined), expire()), graceMs);
  return {
    restored,
    clear: () => {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
