// `timeline`: per unit when it registered, how long it waited and ran, its outcome; then the
// critical chain that decided when start-up finished, as systemd-analyze critical-chain shows it.
// A unit that ran more than once has one row per attempt; the chain reads each unit's last.
import { timestampMs } from "../rpc/timestamps.js";
import { SHORT_DEADLINE_MS, deadlineIn } from "../client/client.js";
import { statusName } from "../rpc/enums.js";
import { type GetTimelineResponse, type ProcessState, ProcessState_Phase, type TimelineEntry } from "../../gen/unitsync/v1/unitsync_pb.js";
import { formatDuration } from "./duration.js";
import { json, outputFormat, table } from "./format.js";
import type { Io } from "./io.js";
import { type GlobalOptions, withClient } from "./session.js";

interface AttemptTimes {
  status: string;
  reason: string;
  start_requested_ms: number | null;
  started_ms: number | null;
  finished_ms: number | null;
  /** Start requested → started (or → now/finish while still waiting). */
  waited_ms: number | null;
  /** Started → completed or failed. */
  ran_ms: number | null;
}

interface AttemptRow extends AttemptTimes {
  attempt: number;
  /** Registration for the first attempt, the start call for later ones. */
  began_ms: number | null;
}

interface Row {
  unit: string;
  status: string;
  reason: string;
  /** The last attempt's number; the other fields are that attempt's. */
  attempt: number;
  /** Every kept attempt, oldest first. */
  attempts: AttemptRow[];
  /** Milliseconds since the first unit registered. */
  registered_ms: number;
  start_requested_ms: number | null;
  started_ms: number | null;
  finished_ms: number | null;
  /** Start requested → started (or → now/finish while still waiting). */
  waited_ms: number | null;
  /** Started → completed or failed. */
  ran_ms: number | null;
  /** For a unit run by `run`/`up`: when its process became ready, and how long the process lived (spawn → exit, or → now). */
  ready_ms?: number | null;
  lifetime_ms?: number | null;
  /** How the process ended ("" for exit 0; null while it runs). */
  exit_reason?: string | null;
  /** With a lease: its locks, lock requested → granted, and whose release granted it. */
  locks?: string[];
  lock_waited_ms?: number | null;
  lock_waited_for?: string;
}

const ms = (t: TimelineEntry["registeredAt"]) => (t ? timestampMs(t) : undefined);

/** Ready time and lifetime of a unit's process (its last attempt); nothing for a unit nobody ran with `run` or `up`. */
function processTimes(p: ProcessState | undefined, rel: (t: number | undefined) => number | null) {
  if (!p) return {};
  const [spawned, exited] = [ms(p.startedAt), ms(p.exitedAt)];
  const ended = p.phase === ProcessState_Phase.EXITED || p.phase === ProcessState_Phase.RETRY_WAIT;
  return {
    ready_ms: rel(ms(p.readyAt)),
    lifetime_ms: spawned === undefined ? null : (exited ?? Date.now()) - spawned,
    exit_reason: ended ? p.exitReason : null,
  };
}

export function timelineRows(response: GetTimelineResponse): { origin: number; rows: Row[] } {
  const origin = Math.min(...response.entries.map((e) => ms(e.registeredAt) ?? Infinity));
  const rel = (t: number | undefined) => (t === undefined ? null : t - origin);
  const times = (e: Pick<TimelineEntry, "status" | "reason" | "startRequestedAt" | "startedAt" | "finishedAt">): AttemptTimes => {
    const [requested, started, finished] = [ms(e.startRequestedAt), ms(e.startedAt), ms(e.finishedAt)];
    return {
      status: statusName(e.status),
      reason: e.reason,
      start_requested_ms: rel(requested),
      started_ms: rel(started),
      finished_ms: rel(finished),
      waited_ms: requested !== undefined && started !== undefined ? started - requested : null,
      ran_ms: started !== undefined && finished !== undefined ? finished - started : null,
    };
  };
  const rows = response.entries.map((e) => {
    const { status, reason, ...last } = times(e);
    return {
      unit: e.unit,
      status,
      reason,
      attempt: e.attempt,
      attempts: e.attempts.map((a) => ({ attempt: a.number, began_ms: rel(ms(a.beganAt)), ...times(a) })),
      registered_ms: rel(ms(e.registeredAt)) ?? 0,
      ...last,
      ...processTimes(e.process, rel),
      ...lockColumns(e),
    };
  });
  return { origin, rows };
}

function lockColumns(e: TimelineEntry): Pick<Row, "locks" | "lock_waited_ms" | "lock_waited_for"> {
  if (e.locks.length === 0) return {};
  const [asked, granted] = [ms(e.lockRequestedAt), ms(e.lockGrantedAt)];
  return {
    locks: e.locks,
    lock_waited_ms: asked !== undefined && granted !== undefined ? granted - asked : null,
    ...(e.lockWaitedFor ? { lock_waited_for: e.lockWaitedFor } : {}),
  };
}

const at = (value: number | null) => (value === null ? "-" : `+${formatDuration(value)}`);
const span = (value: number | null) => (value === null ? "-" : formatDuration(value));

/** When a row's unit first started (its first attempt), for the table's order; never started last. */
const firstStart = (r: Row) => r.attempts[0]?.started_ms ?? r.started_ms ?? Infinity;

/** The table (in the order units started, as the picture draws them) and the critical chain as text. */
export function renderTimeline(response: GetTimelineResponse): string {
  const rows = timelineRows(response).rows.sort((a, b) => firstStart(a) - firstStart(b) || a.registered_ms - b.registered_ms);
  if (rows.length === 0) return "No units registered\n";
  const outcome = (r: AttemptTimes) => r.reason || (r.status === "completed" ? "ok" : "");
  const withLocks = rows.some((r) => r.locks);
  const rerun = rows.some((r) => r.attempts.length > 1 || r.attempt > 1);
  // With services (units run with readiness checks): when each became ready and how long its
  // process lived, on the row of its last attempt.
  const services = response.entries.some((e) => (e.process?.checks.length ?? 0) > 0);
  const processHeader = services ? ["READY", "LIFETIME"] : [];
  const lived = (r: Row) => (r.lifetime_ms == null ? "-" : `${formatDuration(r.lifetime_ms)}${r.exit_reason === null ? " (running)" : ""}`);
  const processCells = (r: Row, last = true) => (!services ? [] : last ? [at(r.ready_ms ?? null), lived(r)] : ["-", "-"]);
  let text = rerun
    ? table(
        ["UNIT", "ATTEMPT", "STATUS", "BEGAN", "STARTED", "WAITED", "RAN", ...processHeader, "OUTCOME"],
        rows.flatMap((r) =>
          r.attempts.map((a, i) => [
            r.unit,
            String(a.attempt),
            a.status,
            at(a.began_ms),
            at(a.started_ms),
            span(a.waited_ms),
            span(a.ran_ms),
            ...processCells(r, i === r.attempts.length - 1),
            outcome(a),
          ]),
        ),
      )
    : table(
        // Lock waits get their own column, apart from dependency waits, once any unit took a lock.
        ["UNIT", "STATUS", "REGISTERED", "STARTED", "WAITED", ...(withLocks ? ["LOCK WAIT"] : []), "RAN", ...processHeader, "OUTCOME"],
        rows.map((r) => [
          r.unit,
          r.status,
          at(r.registered_ms),
          at(r.started_ms),
          span(r.waited_ms),
          ...(withLocks ? [r.locks ? span(r.lock_waited_ms ?? null) : "-"] : []),
          span(r.ran_ms),
          ...processCells(r),
          outcome(r),
        ]),
      );
  const byName = new Map(rows.map((r) => [r.unit, r]));
  if (response.criticalChain.length > 0) {
    text += "\nCritical chain (started @ time since first registration, +time it ran):\n";
    response.criticalChain.forEach((name, depth) => {
      const row = byName.get(name);
      const line = `${name} @${span(row?.started_ms ?? null)} +${span(row?.ran_ms ?? null)}`;
      text += depth === 0 ? `${line}\n` : `${"  ".repeat(depth - 1)}└─${line}\n`;
    });
  }
  const waits = rows.filter((r) => r.lock_waited_for);
  if (waits.length > 0) {
    text += "\nLock waits:\n";
    for (const r of waits) text += `${r.unit} waited ${span(r.lock_waited_ms ?? null)} for ${r.locks!.join(", ")} held by ${r.lock_waited_for}\n`;
  }
  if (response.droppedEvents > 0n) text += `\n(${response.droppedEvents} oldest events were dropped from the log)\n`;
  return text;
}

export const TIMELINE_FORMATS = ["table", "json", "svg", "html", "otlp-json"];

export function timeline(io: Io, options: GlobalOptions & { output?: string }): Promise<number> {
  const format = outputFormat(options.output, TIMELINE_FORMATS);
  return withClient(io, options, "timeline", async (client) => {
    const response = await client.getTimeline({}, { deadline: deadlineIn(SHORT_DEADLINE_MS) });
    if (format === "svg" || format === "html" || format === "otlp-json") {
      const { units } = await client.listUnits({}, { deadline: deadlineIn(SHORT_DEADLINE_MS) });
      io.stdout.write(await (await import("./timeline-picture.js")).renderPicture(format, response, units));
    } else if (format === "json") {
      const { origin, rows } = timelineRows(response);
      io.stdout.write(
        json({
          origin: Number.isFinite(origin) ? new Date(origin).toISOString() : null,
          units: rows,
          critical_chain: response.criticalChain,
          dropped_events: Number(response.droppedEvents),
        }),
      );
    } else {
      io.stdout.write(renderTimeline(response));
    }
  });
}
