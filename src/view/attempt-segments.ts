// Segments from a timeline entry's attempts (the agent's own record of each run of a unit): its
// dependency wait, its run, and for a service the time it served after it became ready.
import { timestampMs } from "../rpc/timestamps.js";
import { type Event, EventKind, ProcessState_Phase, type TimelineEntry, UnitStatus } from "../../gen/unitsync/v1/unitsync_pb.js";
import type { Segment } from "./gantt-model.js";

type Stamp = TimelineEntry["registeredAt"];

/** The lock events that bound a lease's wait. */
export const LOCK_REQUESTED = EventKind.LOCK_REQUESTED;
export const LOCK_GRANTED = EventKind.LOCK_GRANTED;
export const LOCK_WAIT_ENDED = EventKind.LOCK_WAIT_ENDED;

/** Lock waits of each attempt: from a lease's request to its grant (or to the end of its wait). */
function lockWaits(events: readonly Event[], origin: number): { attempt: number; start: number; end?: number; outcome: Segment["outcome"]; reason: string }[] {
  const waits: { attempt: number; start: number; end?: number; outcome: Segment["outcome"]; reason: string }[] = [];
  let open: (typeof waits)[number] | undefined;
  for (const e of events) {
    if (!e.time) continue;
    const at = timestampMs(e.time) - origin;
    if (e.kind === LOCK_REQUESTED && !open) {
      open = { attempt: e.attempt || 1, start: at, outcome: "open", reason: "" };
      waits.push(open);
    } else if ((e.kind === LOCK_GRANTED || e.kind === LOCK_WAIT_ENDED) && open) {
      open.end = at;
      open.outcome = e.kind === LOCK_GRANTED ? "ok" : "ended";
      open.reason = e.reason;
      open = undefined;
    }
  }
  return waits;
}

/** The process behind the unit's last attempt, as its runner reported it. */
export interface ProcessFacts {
  readonly pid: number;
  readonly exited: boolean;
  readonly exitCode: number;
  readonly exitReason: string;
}

export function processFacts(entry: TimelineEntry): ProcessFacts | undefined {
  const p = entry.process;
  if (!p) return undefined;
  return { pid: p.pid, exited: p.phase === ProcessState_Phase.EXITED, exitCode: p.exitCode, exitReason: p.exitReason };
}

/**
 * One entry's segments, attempt by attempt; `events` are the unit's own (for why a wait ended).
 * Times are milliseconds since `origin`; whatever has not ended yet ends at `now`, marked open.
 */
export function attemptSegments(entry: TimelineEntry, events: readonly Event[], origin: number, now: number): Segment[] {
  const rel = (t: Stamp) => (t ? timestampMs(t) - origin : undefined);
  const waitEnds = new Map<number, { at: number; reason: string }>();
  // Attempts whose start had to wait: one that started at once has no wait, however the clock read.
  const waited = new Set<number>();
  for (const e of events) {
    if (e.kind === EventKind.WAIT_BEGAN) waited.add(e.attempt || 1);
    if (e.kind === EventKind.WAIT_ENDED && e.time) waitEnds.set(e.attempt || 1, { at: timestampMs(e.time) - origin, reason: e.reason });
  }
  const segments: Segment[] = [];
  const push = (kind: Segment["kind"], start: number, end: number | undefined, attempt: number, outcome: Segment["outcome"], reason: string) =>
    segments.push({ kind, start, end: Math.max(start, end ?? now), open: end === undefined, attempt, outcome: end === undefined ? "open" : outcome, reason });
  const last = entry.attempts.at(-1);
  for (const a of entry.attempts) {
    const n = a.number || 1;
    const [requested, started, finished] = [rel(a.startRequestedAt), rel(a.startedAt), rel(a.finishedAt)];
    const failed = a.status === UnitStatus.FAILED;
    if (requested !== undefined && (started === undefined || (started > requested && (waited.has(n) || events.length === 0)))) {
      const ended = waitEnds.get(n);
      if (started !== undefined) push("wait", requested, started, n, "ok", "");
      else if (ended && ended.at >= requested) push("wait", requested, ended.at, n, failed ? "failed" : "ended", ended.reason);
      else if (finished !== undefined) push("wait", requested, finished, n, failed ? "failed" : "ended", a.reason);
      else push("wait", requested, undefined, n, "open", "");
    }
    if (started !== undefined) push("run", started, finished, n, failed ? "failed" : "ok", a.reason);
  }
  // A lease's wait is drawn apart from the run it delays: the run begins when the locks are held.
  for (const lock of lockWaits(events, origin)) {
    if (lock.end !== undefined && lock.end <= lock.start) continue;
    push("lock-wait", lock.start, lock.end, lock.attempt, lock.outcome, lock.reason);
    const run = segments.findIndex((s) => s.kind === "run" && s.attempt === lock.attempt && s.start <= lock.start && s.end >= lock.start);
    if (run >= 0) {
      const held = lock.end ?? now;
      const r = segments[run]!;
      segments[run] = { ...r, start: Math.min(Math.max(r.start, held), r.end) };
    }
  }
  // A service completes when ready and keeps running: it served from then until its process ended.
  const p = entry.process;
  if (last && p && last.status === UnitStatus.COMPLETED) {
    const ready = rel(last.finishedAt);
    const exited = rel(p.exitedAt);
    const running = p.phase === ProcessState_Phase.RUNNING || p.phase === ProcessState_Phase.STARTING;
    if (ready !== undefined && (running || (exited !== undefined && exited > ready))) {
      push("serving", ready, running ? undefined : exited, last.number || 1, "ended", p.exitReason);
    }
  }
  return segments.sort((a, b) => a.start - b.start || a.attempt - b.attempt);
}
