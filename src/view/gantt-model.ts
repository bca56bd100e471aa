// The Gantt view model: a GetTimeline response (entries, events, critical chain) as rows of time
// segments (wait, lock wait, run, serving) per unit attempt, shared by the SVG, the page and traces.
import { timestampMs } from "../rpc/timestamps.js";
import { EventKind, type Event, type GetTimelineResponse, type TimelineEntry, UnitStatus } from "../../gen/unitsync/v1/unitsync_pb.js";
import { type ProcessFacts, attemptSegments, processFacts } from "./attempt-segments.js";

export type SegmentKind = "wait" | "lock-wait" | "run" | "serving";
/** How a segment ended: ok, failed, still open, or cut short (a wait that ended without a start). */
export type Outcome = "ok" | "failed" | "open" | "ended";

export interface Segment {
  readonly kind: SegmentKind;
  /** Milliseconds since the model's origin. */
  readonly start: number;
  readonly end: number;
  /** True while it has not ended yet: `end` is the model's `now`. */
  readonly open: boolean;
  readonly attempt: number;
  readonly outcome: Outcome;
  readonly reason: string;
}

export type RowState = "completed" | "failed" | "running" | "waiting" | "not-run";

export interface GanttRow {
  readonly unit: string;
  readonly owner: string;
  readonly status: string;
  readonly state: RowState;
  readonly reason: string;
  /** Attempts that reached `started`; 0 for a unit that never ran. */
  readonly attempts: number;
  readonly segments: readonly Segment[];
  /** From the first segment (or registration) to the last segment's end. */
  readonly start: number;
  readonly end: number;
  readonly registered: number;
  readonly critical: boolean;
  /** Can never start: a dependency failed. */
  readonly blocked: boolean;
  /** The process behind the last attempt, when a runner reported one. */
  readonly process?: ProcessFacts;
}

export interface GanttModel {
  /** Epoch milliseconds of the first registration; NaN with no units. */
  readonly origin: number;
  /** Milliseconds since origin at which the model was built (the end of open segments). */
  readonly now: number;
  /** The latest end of any segment. */
  readonly end: number;
  readonly rows: readonly GanttRow[];
  readonly criticalChain: readonly string[];
  readonly droppedEvents: number;
  readonly summary: { units: number; completed: number; failed: number; running: number; notRun: number; finished: boolean };
}

export interface ModelOptions {
  /** Epoch ms standing for "now" (the end of open segments); defaults to the last event. */
  now?: number;
  /** Owners by unit name (from ListUnits), for rows and trace attributes. */
  owners?: ReadonlyMap<string, string>;
  /** Units that can never start because a dependency failed (from ListUnits). */
  blocked?: ReadonlySet<string>;
}

const STATUS_TEXT: Record<number, string> = {
  [UnitStatus.NOT_REGISTERED]: "not registered",
  [UnitStatus.PENDING]: "pending",
  [UnitStatus.STARTED]: "started",
  [UnitStatus.COMPLETED]: "completed",
  [UnitStatus.FAILED]: "failed",
};

const ms = (t: TimelineEntry["registeredAt"]) => (t ? timestampMs(t) : undefined);

/** Segment builder for one unit, fed its events in order. */
class UnitSegments {
  readonly done: Segment[] = [];
  private wait?: { start: number; attempt: number };
  private lock?: { start: number; attempt: number };
  private run?: { start: number; attempt: number };
  attempts = 0;

  private close(kind: SegmentKind, open: { start: number; attempt: number }, end: number, outcome: Outcome, reason: string): void {
    this.done.push({ kind, start: open.start, end: Math.max(end, open.start), open: false, attempt: open.attempt, outcome, reason });
  }

  waitBegan(t: number): void {
    this.wait ??= { start: t, attempt: this.attempts + 1 };
  }

  waitEnded(t: number, reason: string): void {
    if (this.wait) this.close("wait", this.wait, t, "ended", reason);
    this.wait = undefined;
  }

  lockRequested(t: number): void {
    this.lock ??= { start: t, attempt: this.run ? this.run.attempt : this.attempts + 1 };
  }

  lockGranted(t: number, reason = ""): void {
    if (this.lock) this.close("lock-wait", this.lock, t, "ok", reason);
    this.lock = undefined;
  }

  started(t: number): void {
    if (this.wait) this.close("wait", this.wait, t, "ok", "");
    this.wait = undefined;
    if (this.run) this.close("run", this.run, t, "ended", "started again");
    this.attempts++;
    this.run = { start: t, attempt: this.attempts };
  }

  finished(t: number, failed: boolean, reason: string): void {
    if (this.lock) this.close("lock-wait", this.lock, t, failed ? "failed" : "ended", reason);
    this.lock = undefined;
    if (this.run) {
      this.close("run", this.run, t, failed ? "failed" : "ok", reason);
    } else if (this.wait) {
      this.close("wait", this.wait, t, failed ? "failed" : "ended", reason);
    }
    this.run = undefined;
    this.wait = undefined;
  }

  /** Everything still open ends at `now`, marked open. */
  segments(now: number): Segment[] {
    const open = (kind: SegmentKind, s: { start: number; attempt: number }): Segment => ({
      kind,
      start: s.start,
      end: Math.max(now, s.start),
      open: true,
      attempt: s.attempt,
      outcome: "open",
      reason: "",
    });
    const all = [...this.done];
    if (this.wait) all.push(open("wait", this.wait));
    if (this.lock) all.push(open("lock-wait", this.lock));
    if (this.run) all.push(open("run", this.run));
    return all.sort((a, b) => a.start - b.start || a.attempt - b.attempt);
  }
}

/** Segments from the entry's own times, for a unit whose events were dropped from the log. */
function fromEntry(entry: TimelineEntry, origin: number): UnitSegments {
  const builder = new UnitSegments();
  const rel = (t: TimelineEntry["registeredAt"]) => (t ? timestampMs(t) - origin : undefined);
  const [requested, started, finished] = [rel(entry.startRequestedAt), rel(entry.startedAt), rel(entry.finishedAt)];
  if (requested !== undefined) builder.waitBegan(requested);
  if (started !== undefined) builder.started(started);
  if (finished !== undefined) builder.finished(finished, entry.status === UnitStatus.FAILED, entry.reason);
  return builder;
}

function apply(event: Event, builder: UnitSegments, t: number): void {
  switch (event.kind) {
    case EventKind.WAIT_BEGAN:
      return builder.waitBegan(t);
    case EventKind.WAIT_ENDED:
      return builder.waitEnded(t, event.reason);
    case EventKind.STATUS_CHANGED:
      if (event.to === UnitStatus.STARTED) return builder.started(t);
      if (event.to === UnitStatus.COMPLETED || event.to === UnitStatus.FAILED) {
        return builder.finished(t, event.to === UnitStatus.FAILED, event.reason);
      }
      return;
    default:
      return;
  }
}

/**
 * The entry's own times win over the events' for the one attempt it describes: the agent reads
 * its clock once for the entry and again for each event, and the timeline's figures (waited =
 * started − start requested) must be the picture's and the trace's to the millisecond.
 */
function snapToEntry(segments: Segment[], entry: TimelineEntry, origin: number): Segment[] {
  const rel = (t: TimelineEntry["registeredAt"]) => (t ? timestampMs(t) - origin : undefined);
  const [requested, started, finished] = [rel(entry.startRequestedAt), rel(entry.startedAt), rel(entry.finishedAt)];
  const firstWait = segments.findIndex((s) => s.kind === "wait");
  return segments.map((s, i) => {
    let { start, end } = s;
    if (s.kind === "wait") {
      if (i === firstWait) start = requested ?? start;
      if (s.outcome === "ok" && started !== undefined) end = started;
    } else if (s.kind === "run") {
      start = started ?? start;
      if (!s.open && finished !== undefined) end = finished;
    }
    return { ...s, start, end: Math.max(start, end) };
  });
}

function rowState(entry: TimelineEntry, segments: readonly Segment[]): RowState {
  if (entry.status === UnitStatus.FAILED) return "failed";
  if (entry.status === UnitStatus.COMPLETED) return "completed";
  if (entry.status === UnitStatus.STARTED) return "running";
  return segments.some((s) => s.open && s.kind === "wait") ? "waiting" : "not-run";
}

export function ganttModel(response: GetTimelineResponse, options: ModelOptions = {}): GanttModel {
  const entries = response.entries;
  const origin = entries.length === 0 ? NaN : Math.min(...entries.map((e) => ms(e.registeredAt) ?? Infinity));
  const builders = new Map(entries.map((e) => [e.unit, new UnitSegments()]));
  const eventsOf = new Map<string, Event[]>();
  const withEvents = new Set<string>();
  let lastEvent = origin;
  for (const event of response.events) {
    const builder = builders.get(event.unit);
    const t = ms(event.time);
    if (!builder || t === undefined) continue;
    lastEvent = Math.max(lastEvent, t);
    withEvents.add(event.unit);
    eventsOf.set(event.unit, [...(eventsOf.get(event.unit) ?? []), event]);
    apply(event, builder, t - origin);
  }
  // A unit whose events were dropped from the log is drawn from its entry's own times.
  for (const entry of entries) {
    const lost = !withEvents.has(entry.unit) || (response.droppedEvents > 0n && ms(entry.startedAt) !== undefined && builders.get(entry.unit)!.attempts === 0);
    if (!lost) continue;
    builders.set(entry.unit, fromEntry(entry, origin));
    lastEvent = Math.max(lastEvent, ms(entry.finishedAt) ?? ms(entry.startedAt) ?? ms(entry.startRequestedAt) ?? lastEvent);
  }
  const now = (options.now ?? lastEvent) - origin;
  const critical = new Set(response.criticalChain);
  const rows: GanttRow[] = entries.map((entry) => {
    const builder = builders.get(entry.unit)!;
    // The entry's attempts are the agent's own record; older agents send only the events.
    const fromAttempts = entry.attempts.length > 0;
    const segments = fromAttempts
      ? attemptSegments(entry, eventsOf.get(entry.unit) ?? [], origin, now)
      : builder.attempts <= 1
        ? snapToEntry(builder.segments(now), entry, origin)
        : builder.segments(now);
    const attempts = fromAttempts ? entry.attempts.filter((a) => a.startedAt !== undefined).length : builder.attempts;
    const process = processFacts(entry);
    const registered = (ms(entry.registeredAt) ?? origin) - origin;
    const start = segments.length > 0 ? segments[0]!.start : registered;
    const end = segments.reduce((latest, s) => Math.max(latest, s.end), start);
    return {
      unit: entry.unit,
      owner: options.owners?.get(entry.unit) ?? "",
      status: STATUS_TEXT[entry.status] ?? "pending",
      state: rowState(entry, segments),
      reason: entry.reason || ([...segments].reverse().find((s) => s.reason)?.reason ?? ""),
      attempts,
      segments,
      start,
      end,
      registered,
      critical: critical.has(entry.unit),
      blocked: options.blocked?.has(entry.unit) ?? false,
      ...(process ? { process } : {}),
    };
  });
  rows.sort((a, b) => startKey(a) - startKey(b) || a.registered - b.registered);
  const count = (state: RowState) => rows.filter((r) => r.state === state).length;
  const summary = {
    units: rows.length,
    completed: count("completed"),
    failed: count("failed"),
    running: count("running") + count("waiting"),
    notRun: count("not-run"),
    finished: rows.length > 0 && rows.every((r) => r.state === "completed" || r.state === "failed" || (r.state === "not-run" && r.blocked)),
  };
  return {
    origin,
    now: Number.isFinite(now) ? now : 0,
    end: rows.reduce((latest, r) => Math.max(latest, r.end), 0),
    rows,
    criticalChain: [...response.criticalChain],
    droppedEvents: Number(response.droppedEvents),
    summary,
  };
}

/** Units come in the order they began to run; those that never ran follow, by registration. */
function startKey(row: GanttRow): number {
  const run = row.segments.find((s) => s.kind === "run");
  return run ? run.start : Number.MAX_SAFE_INTEGER;
}
