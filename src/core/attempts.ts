// Attempt bookkeeping on a unit record: the attempt that ends is kept (at most KEPT_ATTEMPTS) and the record begins the next one. Pure.
import type { UnitStatus } from "./status.js";
import { type AttemptRecord, currentAttempt, KEPT_ATTEMPTS, type UnitRecord } from "./unit-store.js";

function keep(record: UnitRecord, ended: AttemptRecord): void {
  record.previous.push(ended);
  if (record.previous.length > KEPT_ATTEMPTS) record.previous.shift();
  record.attempt++;
}

/**
 * completed|failed → pending as attempt n+1 (a re-run or a retry through Start). Only the record:
 * the caller keeps the failed count, emits the event and wakes the dependents. Returns the status left.
 */
export function beginPendingAttempt(record: UnitRecord, now: number): UnitStatus {
  const from = record.status;
  keep(record, currentAttempt(record));
  record.status = "pending";
  record.reason = "";
  record.changedAt = now;
  record.beganAt = now;
  record.startRequestedAt = undefined;
  record.startedAt = undefined;
  record.finishedAt = undefined;
  return from;
}

/** started → started as attempt n+1: the attempt that ends is kept as failed with `reason`. */
export function beginRetryAttempt(record: UnitRecord, reason: string, now: number): void {
  keep(record, { ...currentAttempt(record), status: "failed", reason, finishedAt: now });
  Object.assign(record, { reason: "", changedAt: now, beganAt: now, startRequestedAt: now, startedAt: now, finishedAt: undefined });
}
