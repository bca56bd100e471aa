// Process states (src/core/processes.ts) ⇄ their protobuf messages, for the ReportProcess handler
// and for the units, events and timeline entries that carry them.
import { create } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { timestampFromMs, timestampMs } from "../rpc/timestamps.js";
import type { UnitEvent } from "../core/event-log.js";
import type { ProcessPhase, ProcessView } from "../core/processes.js";
import { type ProcessState, ProcessStateSchema, ProcessState_Phase } from "../../gen/unitsync/v1/unitsync_pb.js";

const PHASE: Record<ProcessPhase, ProcessState_Phase> = {
  starting: ProcessState_Phase.STARTING,
  running: ProcessState_Phase.RUNNING,
  exited: ProcessState_Phase.EXITED,
  "retry-wait": ProcessState_Phase.RETRY_WAIT,
};
const PHASE_NAME = new Map(Object.entries(PHASE).map(([name, value]) => [value, name as ProcessPhase]));

const at = (ms: number | undefined) => (ms === undefined ? undefined : timestampFromMs(ms));
const ms = (t: Timestamp | undefined) => (t ? timestampMs(t) : undefined);

export function processToProto(view: ProcessView): ProcessState {
  return create(ProcessStateSchema, {
    phase: PHASE[view.phase],
    pid: view.pid,
    attempt: view.attempt,
    maxAttempts: view.maxAttempts,
    checks: view.checks.map((c) => ({ check: c.check, passed: c.passed, passedAt: at(c.passedAt), lastError: c.lastError })),
    startedAt: at(view.startedAt),
    readyAt: at(view.readyAt),
    exitedAt: at(view.exitedAt),
    exitCode: view.exitCode,
    exitReason: view.exitReason,
    retryAt: at(view.retryAt),
  });
}

/** A reported state; an unset phase reads as running, unset attempts as 1 of 1. */
export function processFromProto(message: ProcessState | undefined): ProcessView {
  const m = message ?? create(ProcessStateSchema, {});
  const optional = <K extends string>(key: K, value: number | undefined) => (value === undefined ? {} : { [key]: value });
  return {
    phase: PHASE_NAME.get(m.phase) ?? "running",
    pid: m.pid,
    attempt: m.attempt || 1,
    maxAttempts: m.maxAttempts || Math.max(1, m.attempt),
    checks: m.checks.map((c) => ({ check: c.check, passed: c.passed, lastError: c.lastError, ...optional("passedAt", ms(c.passedAt)) })),
    ...optional("startedAt", ms(m.startedAt)),
    ...optional("readyAt", ms(m.readyAt)),
    ...optional("exitedAt", ms(m.exitedAt)),
    exitCode: m.exitCode,
    exitReason: m.exitReason,
    ...optional("retryAt", ms(m.retryAt)),
  };
}

/** The process state an EVENT_KIND_PROCESS_* event carries, from its recorded details. */
export function eventProcess(event: Pick<UnitEvent, "time"> & { detail?: Readonly<Record<string, string | number | boolean>> }): ProcessState | undefined {
  const d = event.detail;
  if (!d || typeof d.phase !== "string") return undefined;
  const check = typeof d.check === "string" ? [{ check: d.check, passed: d.passed === true, lastError: String(d.error ?? "") }] : [];
  return create(ProcessStateSchema, {
    phase: PHASE[d.phase as ProcessPhase] ?? ProcessState_Phase.UNSPECIFIED,
    pid: Number(d.pid ?? 0),
    attempt: Number(d.attempt ?? 0),
    maxAttempts: Number(d.max_attempts ?? 0),
    checks: check,
    exitCode: Number(d.exit_code ?? 0),
    exitReason: String(d.exit_reason ?? ""),
  });
}
