// A unit's process (what `run` or `up` reported: pid, readiness checks, how it ended) as the
// verbs show it: one JSON object for status/list/watch, and short lines for tables and status.
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { timestampMs } from "../rpc/timestamps.js";
import { type ProcessState, ProcessState_Phase, type Unit } from "../../gen/unitsync/v1/unitsync_pb.js";

const PHASE: Record<number, string> = {
  [ProcessState_Phase.STARTING]: "starting",
  [ProcessState_Phase.RUNNING]: "running",
  [ProcessState_Phase.EXITED]: "exited",
  [ProcessState_Phase.RETRY_WAIT]: "retry-wait",
};

export const phaseName = (p: ProcessState): string => PHASE[p.phase] ?? "unknown";

const iso = (t: Timestamp | undefined) => (t ? new Date(timestampMs(t)).toISOString() : null);

/** The checks not yet passed, each with why: "tcp:8080: connection refused". */
export function pendingChecks(p: ProcessState): string {
  return p.checks
    .filter((c) => !c.passed)
    .map((c) => (c.lastError ? `${c.check}: ${c.lastError}` : `${c.check}: not tried yet`))
    .join("; ");
}

export function processJson(p: ProcessState) {
  return {
    state: phaseName(p),
    pid: p.pid || null,
    attempt: p.attempt,
    max_attempts: p.maxAttempts,
    started_at: iso(p.startedAt),
    ready_at: iso(p.readyAt),
    exited_at: iso(p.exitedAt),
    exit_code: p.phase === ProcessState_Phase.EXITED || p.phase === ProcessState_Phase.RETRY_WAIT ? p.exitCode : null,
    exit_reason: p.exitReason,
    checks: p.checks.map((c) => ({ check: c.check, passed: c.passed, passed_at: iso(c.passedAt), last_error: c.lastError })),
    pending: pendingChecks(p),
  };
}

/** `{process: …}` for a unit that has one, `{}` otherwise (JSON of units nobody runs stays as it was). */
export const processField = (u: Unit) => (u.process ? { process: processJson(u.process) } : {});

/** One line: "running, pid 42, ready at …", "starting, pid 42; waiting for tcp:8080: connection refused". */
export function processLine(p: ProcessState): string {
  const attempt = p.maxAttempts > 1 ? `, attempt ${p.attempt} of ${p.maxAttempts}` : "";
  switch (p.phase) {
    case ProcessState_Phase.STARTING:
      return `starting, pid ${p.pid}${attempt}; waiting for ${pendingChecks(p)}`;
    case ProcessState_Phase.RUNNING:
      return `running, pid ${p.pid}${attempt}${p.readyAt ? `, ready at ${iso(p.readyAt)}` : ""}`;
    case ProcessState_Phase.EXITED:
      return `exited${p.exitReason ? ` (${p.exitReason})` : " with status 0"}${p.exitedAt ? ` at ${iso(p.exitedAt)}` : ""}${attempt}`;
    case ProcessState_Phase.RETRY_WAIT:
      return `attempt ${p.attempt} of ${p.maxAttempts} failed (${p.exitReason}); next at ${iso(p.retryAt)}`;
    default:
      return "unknown";
  }
}

/** For the live table: what a unit's process waits on or how it ended after ready, "" otherwise. */
export function processNote(u: Unit): string {
  const p = u.process;
  if (!p) return "";
  if (p.phase === ProcessState_Phase.STARTING) return pendingChecks(p);
  if (p.phase === ProcessState_Phase.RETRY_WAIT) return `retrying (${p.exitReason})`;
  if (p.phase === ProcessState_Phase.EXITED && p.readyAt && p.checks.length > 0) return `service exited: ${p.exitReason || "exit status 0"}`;
  return "";
}
