// How an attempt ended, decided from what happened to it: the rule in one pure function (a ready
// service stays ready whatever ends it later; a timeout, a stop or an early exit fails it).
import { formatLimit } from "./duration.js";
import { type ProcessEnd, exitedPhrase } from "./process-group.js";

export interface AttemptFacts {
  end: ProcessEnd;
  /** The attempt has readiness checks (a service). */
  service: boolean;
  /** The command was spawned (it has a pid). */
  spawned: boolean;
  /** When every check passed, if they did. */
  readyAt?: number;
  /** The run timeout stopped it. */
  timedOut: boolean;
  runTimeoutMs: number;
  /** The ready timeout stopped it, with what was pending then ("tcp:8080 connection refused"). */
  notReady?: { afterMs: number; pending: string };
  /** A stop (up, a budget) ended it, with this reason. */
  stopReason?: string;
  /** The checks still pending when it ended: "tcp:8080, log:listening". */
  pendingAtEnd: string;
}

export interface AttemptResult {
  /** The attempt did its start-up work: the step exited 0, or the service passed every check. */
  ready: boolean;
  readyAt?: number;
  /** Why the attempt failed ("" when ready): the unit's failure reason. */
  reason: string;
  /** How the process ended: "exit status 1", "killed by SIGTERM", "timed out after 1s" ("" for exit 0). */
  processReason: string;
  /** What `run` exits with for this attempt. */
  exitCode: number;
  end: ProcessEnd;
}

export function attemptOutcome(f: AttemptFacts): AttemptResult {
  const { end } = f;
  const timeoutReason = `timed out after ${formatLimit(f.runTimeoutMs)}`;
  const processReason = f.timedOut ? timeoutReason : end.reason;
  const exitCode = f.timedOut ? 124 : end.exitCode;
  const base = { processReason, exitCode, end };
  if (!f.service && f.stopReason === undefined && !f.timedOut && end.exitCode === 0 && !end.reason) {
    return { ...base, ready: true, readyAt: end.at, reason: "" };
  }
  if (f.readyAt !== undefined) return { ...base, ready: true, readyAt: f.readyAt, reason: "" };
  if (f.timedOut) return { ...base, ready: false, reason: timeoutReason };
  if (f.notReady) return { ...base, ready: false, reason: `not ready after ${formatLimit(f.notReady.afterMs)}: ${f.notReady.pending}`, exitCode: 4 };
  if (f.stopReason !== undefined) return { ...base, ready: false, reason: f.stopReason };
  // A service that ends before it is ready failed, even with status 0.
  if (f.service && f.spawned) return { ...base, ready: false, reason: `${exitedPhrase(end)} before ready (${f.pendingAtEnd})`, exitCode: exitCode || 1 };
  return { ...base, ready: false, reason: end.reason };
}
