// `timeline`: per unit when it registered, how long it waited and ran, its outcome; then the
// critical chain that decided when start-up finished, as systemd-analyze critical-chain shows it.
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { SHORT_DEADLINE_MS, deadlineIn } from "../client/client.js";
import { statusName } from "../rpc/enums.js";
import type { GetTimelineResponse, TimelineEntry } from "../../gen/unitsync/v1/unitsync_pb.js";
import { formatDuration } from "./duration.js";
import { json, outputFormat, table } from "./format.js";
import type { Io } from "./io.js";
import { type GlobalOptions, withClient } from "./session.js";

interface Row {
  unit: string;
  status: string;
  reason: string;
  /** Milliseconds since the first unit registered. */
  registered_ms: number;
  start_requested_ms: number | null;
  started_ms: number | null;
  finished_ms: number | null;
  /** Start requested → started (or → now/finish while still waiting). */
  waited_ms: number | null;
  /** Started → completed or failed. */
  ran_ms: number | null;
}

const ms = (t: TimelineEntry["registeredAt"]) => (t ? timestampMs(t) : undefined);

export function timelineRows(response: GetTimelineResponse): { origin: number; rows: Row[] } {
  const origin = Math.min(...response.entries.map((e) => ms(e.registeredAt) ?? Infinity));
  const rel = (t: number | undefined) => (t === undefined ? null : t - origin);
  const rows = response.entries.map((e) => {
    const [requested, started, finished] = [ms(e.startRequestedAt), ms(e.startedAt), ms(e.finishedAt)];
    return {
      unit: e.unit,
      status: statusName(e.status),
      reason: e.reason,
      registered_ms: rel(ms(e.registeredAt)) ?? 0,
      start_requested_ms: rel(requested),
      started_ms: rel(started),
      finished_ms: rel(finished),
      waited_ms: requested !== undefined && started !== undefined ? started - requested : null,
      ran_ms: started !== undefined && finished !== undefined ? finished - started : null,
    };
  });
  return { origin, rows };
}

const at = (value: number | null) => (value === null ? "-" : `+${formatDuration(value)}`);
const span = (value: number | null) => (value === null ? "-" : formatDuration(value));

/** The table and the critical chain as text. */
export function renderTimeline(response: GetTimelineResponse): string {
  const { rows } = timelineRows(response);
  if (rows.length === 0) return "No units registered\n";
  let text = table(
    ["UNIT", "STATUS", "REGISTERED", "STARTED", "WAITED", "RAN", "OUTCOME"],
    rows.map((r) => [
      r.unit,
      r.status,
      at(r.registered_ms),
      at(r.started_ms),
      span(r.waited_ms),
      span(r.ran_ms),
      r.reason || (r.status === "completed" ? "ok" : ""),
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
