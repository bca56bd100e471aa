// One start-up as a tree of trace spans, from the Gantt model: a root span for start-up, a span per
// unit attempt, and child spans for its dependency wait, lock wait, run and serving time.
import type { GanttModel, GanttRow, Segment } from "./gantt-model.js";

export type Attributes = Record<string, string | number | boolean | string[]>;

export interface SpanSpec {
  /** Local key, unique in the list; `parent` refers to it. */
  readonly key: string;
  readonly parent?: string;
  readonly name: string;
  /** Epoch milliseconds. */
  readonly start: number;
  readonly end: number;
  /** Set when the span failed: its status is ERROR with this message. */
  readonly error?: string;
  readonly attributes: Attributes;
}

export const ROOT_SPAN_NAME = "unitsync start-up";

const CHILD_NAME: Record<Segment["kind"], string> = {
  wait: "dependency wait",
  "lock-wait": "lock wait",
  run: "run",
  serving: "serving",
};

export interface TraceOptions {
  /** Only attempts that began at or after this offset (ms since origin): a later start-up. */
  since?: number;
}

function unitAttributes(row: GanttRow, attempt: number): Attributes {
  const last = attempt >= row.attempts;
  const process = last && row.process ? row.process : undefined;
  return {
    "unitsync.unit.name": row.unit,
    "unitsync.unit.owner": row.owner,
    "unitsync.unit.attempt": attempt,
    "unitsync.unit.status": row.status,
    "unitsync.unit.critical": row.critical,
    ...(process && process.pid ? { "process.pid": process.pid } : {}),
    ...(process?.exited ? { "process.exit.code": process.exitCode, "unitsync.unit.exit_status": process.exitReason || "exit status 0" } : {}),
  };
}

/** The spans of one start-up, parents before children. Empty when nothing is in it. */
export function traceSpans(model: GanttModel, options: TraceOptions = {}): SpanSpec[] {
  const since = options.since ?? -Infinity;
  const at = (offset: number) => model.origin + offset;
  const units: SpanSpec[] = [];
  let first = Infinity;
  let last = -Infinity;
  let failed = 0;
  for (const row of model.rows) {
    const byAttempt = new Map<number, Segment[]>();
    for (const s of row.segments) byAttempt.set(s.attempt, [...(byAttempt.get(s.attempt) ?? []), s]);
    if (byAttempt.size === 0 && row.registered >= since) {
      // Never waited nor ran: a point at its registration, an error when a dependency failed.
      units.push({
        key: `${row.unit}#0`,
        parent: "root",
        name: row.unit,
        start: at(row.registered),
        end: at(row.registered),
        ...(row.blocked ? { error: "not run: a dependency failed" } : {}),
        attributes: { ...unitAttributes(row, 0), "unitsync.unit.not_run": true },
      });
      first = Math.min(first, row.registered);
      last = Math.max(last, row.registered);
      continue;
    }
    for (const [attempt, segments] of byAttempt) {
      const start = Math.min(...segments.map((s) => s.start));
      if (start < since) continue;
      const end = Math.max(...segments.map((s) => s.end));
      const failure = segments.find((s) => s.outcome === "failed");
      const key = `${row.unit}#${attempt}`;
      if (failure) failed++;
      // A blocked unit's wait ended without a run: the span says why it never ran.
      const blocked = !failure && row.blocked && !segments.some((s) => s.kind === "run");
      const error = failure ? failure.reason || "failed" : blocked ? `not run: ${segments.at(-1)?.reason || "a dependency failed"}` : undefined;
      units.push({
        key,
        parent: "root",
        name: row.unit,
        start: at(start),
        end: at(end),
        ...(error !== undefined ? { error } : {}),
        attributes: {
          ...unitAttributes(row, attempt),
          ...(segments.some((s) => s.open) ? { "unitsync.unit.unfinished": true } : {}),
          ...(blocked ? { "unitsync.unit.not_run": true } : {}),
        },
      });
      segments.forEach((s, i) =>
        units.push({
          key: `${key}/${i}`,
          parent: key,
          name: CHILD_NAME[s.kind],
          start: at(s.start),
          end: at(s.end),
          ...(s.outcome === "failed" ? { error: s.reason || "failed" } : {}),
          attributes: { "unitsync.unit.name": row.unit, "unitsync.unit.attempt": attempt, "unitsync.segment.outcome": s.outcome },
        }),
      );
      // Start-up begins when its first unit registered (for a later start-up: its first attempt).
      first = Math.min(first, row.registered >= since ? row.registered : start);
      last = Math.max(last, end);
    }
  }
  if (units.length === 0) return [];
  const root: SpanSpec = {
    key: "root",
    name: ROOT_SPAN_NAME,
    start: at(first),
    end: at(last),
    ...(failed > 0 ? { error: `${failed} unit attempt${failed === 1 ? "" : "s"} failed` } : {}),
    attributes: {
      "unitsync.units": new Set(units.filter((u) => u.parent === "root").map((u) => u.name)).size,
      "unitsync.failed": failed,
      "unitsync.critical_chain": [...model.criticalChain],
    },
  };
  return [root, ...units];
}
