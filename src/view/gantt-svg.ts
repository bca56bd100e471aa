// The start-up Gantt chart as one self-contained SVG, like `systemd-analyze plot`: a row per unit
// in start order, a time axis, waits / lock waits / runs / serving drawn apart, the critical chain
// coloured, failed and never-run units marked, a tooltip per bar with exact times and reason.
import type { GanttModel, GanttRow, Segment } from "./gantt-model.js";
import { clip, escapeXml as x, formatDuration, formatTick, isoAt } from "./text.js";

/** Fixed row height: 200 units make a tall picture that scrolls, never thinner rows. */
export const ROW_HEIGHT = 22;
const BAR_HEIGHT = 14;
const TOP = 62;
const BOTTOM = 30;
const LEFT = 12;
/** Average advance of the 11px sans-serif labels, to reserve room for them. */
const CHAR_WIDTH = 6.6;
const LABEL_CHARS = 64;
const MIN_CHART = 800;
const MAX_CHART = 3200;
/** Pixels per second before the chart reaches its widest. */
const PX_PER_SECOND = 100;

const STYLE = `
svg{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;font-size:11px}
.bg{fill:#fff}.stripe{fill:#f5f7fa}.head{font-size:13px;font-weight:600;fill:#222}
.grid{stroke:#dde1e6;stroke-width:1}.tick{fill:#555;font-size:10px}
.label{fill:#222}.critical .label{font-weight:700;fill:#a33c00}.state-failed .label{fill:#b71c1c}
.state-not-run .label{fill:#757575;font-style:italic}
.wait{fill:#cfd8dc}.lock-wait{fill:#b39ddb}.run{fill:#64b5f6}.serving{fill:#a5d6a7}
.critical .run{fill:#f57c00}.run.failed,.wait.failed,.lock-wait.failed{fill:#e53935}
.open{fill-opacity:.55}.retry{stroke:#fff;stroke-width:1.5}
.not-run{fill:none;stroke:#9e9e9e;stroke-dasharray:3 2}
.legend text{fill:#333}
`;

const SEGMENT_NAME: Record<Segment["kind"], string> = {
  wait: "waiting for dependencies",
  "lock-wait": "waiting for locks",
  run: "running",
  serving: "ready, serving",
};

const round = (n: number) => Math.round(n * 10) / 10;

/** The tick step (1, 2 or 5 × 10^n ms) that puts about `spacing` pixels between ticks. */
export function tickStep(totalMs: number, widthPx: number, spacing = 90): number {
  const raw = (totalMs * spacing) / widthPx;
  const magnitude = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  for (const m of [1, 2, 5, 10]) if (m * magnitude >= raw) return m * magnitude;
  return 10 * magnitude;
}

export interface Layout {
  readonly width: number;
  readonly height: number;
  readonly chartWidth: number;
  readonly totalMs: number;
  /** Pixel x of an offset in milliseconds. */
  xOf(ms: number): number;
}

export function layout(model: GanttModel): Layout {
  const totalMs = Math.max(model.end, 100);
  const chartWidth = Math.round(Math.min(MAX_CHART, Math.max(MIN_CHART, (totalMs / 1000) * PX_PER_SECOND)));
  const longest = model.rows.reduce((n, r) => Math.max(n, [...labelOf(r)].length), 0);
  const width = Math.round(LEFT + chartWidth + Math.min(longest, LABEL_CHARS + 30) * CHAR_WIDTH + 16);
  const height = TOP + Math.max(model.rows.length, 1) * ROW_HEIGHT + BOTTOM;
  return { width, height, chartWidth, totalMs, xOf: (ms: number) => round(LEFT + (ms / totalMs) * chartWidth) };
}

/** The text beside a row's bars: name, how long it took, attempts and outcome. */
export function labelOf(row: GanttRow): string {
  const name = clip(row.unit, LABEL_CHARS);
  const sum = (kind: Segment["kind"]) => row.segments.filter((s) => s.kind === kind).reduce((n, s) => n + s.end - s.start, 0);
  const waited = sum("wait") + sum("lock-wait");
  const took = `${formatDuration(sum("run"))}${waited >= 1 ? ` · waited ${formatDuration(waited)}` : ""}`;
  const serving = row.segments.find((s) => s.kind === "serving");
  const attempts = `${row.attempts > 1 ? ` · ${row.attempts} attempts` : ""}${serving ? (serving.open ? " · serving" : ` · served ${formatDuration(serving.end - serving.start)}`) : ""}`;
  switch (row.state) {
    case "failed":
      return `${name} ${took}${attempts} ✗ failed${row.reason ? `: ${clip(row.reason, 30)}` : ""}`;
    case "not-run":
      return `${name} — not run${row.blocked ? " (a dependency failed)" : ""}`;
    case "waiting":
      return `${name} waiting ${formatDuration(waited)}…`;
    case "running":
      return `${name} ${took}…${attempts}`;
    default:
      return `${name} ${took}${attempts}`;
  }
}

function tooltip(model: GanttModel, row: GanttRow, s: Segment): string {
  const lines = [
    `${row.unit}${row.attempts > 1 || s.attempt > 1 ? ` · attempt ${s.attempt}` : ""} · ${SEGMENT_NAME[s.kind]}`,
    `from +${formatDuration(s.start)} (${isoAt(model.origin, s.start)})`,
    `${s.open ? "still open at" : "to"} +${formatDuration(s.end)} (${isoAt(model.origin, s.end)})`,
    `lasted ${formatDuration(s.end - s.start)}`,
  ];
  if (s.outcome === "failed") lines.push(`failed${s.reason ? `: ${s.reason}` : ""}`);
  else if (s.reason) lines.push(s.reason);
  if (row.owner) lines.push(`owner ${row.owner}`);
  if (row.critical) lines.push("on the critical chain");
  return lines.join("\n");
}

function rowSvg(model: GanttModel, geometry: Layout, row: GanttRow, index: number): string {
  const top = TOP + index * ROW_HEIGHT;
  const barY = top + (ROW_HEIGHT - BAR_HEIGHT) / 2;
  const classes = ["row", `state-${row.state}`, row.critical ? "critical" : ""].filter(Boolean).join(" ");
  let body = index % 2 === 1 ? `<rect class="stripe" x="0" y="${top}" width="${geometry.width}" height="${ROW_HEIGHT}"/>` : "";
  let right = geometry.xOf(row.start);
  if (row.segments.length === 0 || row.state === "not-run") {
    const from = geometry.xOf(row.registered);
    const to = Math.max(geometry.xOf(model.end), from + 6);
    const why = row.blocked ? "a dependency failed" : row.reason || "never started";
    body += `<rect class="seg not-run" x="${from}" y="${barY}" width="${round(to - from)}" height="${BAR_HEIGHT}"><title>${x(
      `${row.unit} · not run: ${why}\nregistered +${formatDuration(row.registered)} (${isoAt(model.origin, row.registered)})`,
    )}</title></rect>`;
    right = to;
  }
  for (const s of row.segments) {
    const x0 = geometry.xOf(s.start);
    const w = Math.max(1, round(geometry.xOf(s.end) - x0));
    const cls = ["seg", s.kind, s.outcome === "failed" ? "failed" : "", s.open ? "open" : "", s.attempt > 1 ? "retry" : ""];
    body += `<rect class="${cls.filter(Boolean).join(" ")}" x="${x0}" y="${barY}" width="${w}" height="${BAR_HEIGHT}" data-attempt="${s.attempt}"><title>${x(
      tooltip(model, row, s),
    )}</title></rect>`;
    right = Math.max(right, x0 + w);
  }
  body += `<text class="label" x="${round(right + 4)}" y="${top + ROW_HEIGHT / 2 + 4}">${x(labelOf(row))}</text>`;
  return `<g class="${classes}" data-unit="${x(row.unit)}">${body}</g>`;
}

function axisSvg(geometry: Layout, rows: number): string {
  const step = tickStep(geometry.totalMs, geometry.chartWidth);
  const bottom = TOP + Math.max(rows, 1) * ROW_HEIGHT;
  let grid = "";
  let labels = "";
  for (let t = 0; t <= geometry.totalMs + step / 2; t += step) {
    const at = geometry.xOf(t);
    grid += `M${at} ${TOP - 4}V${bottom}`;
    const text = x(formatTick(t));
    labels += `<text class="tick" x="${at}" y="${TOP - 8}" text-anchor="middle">${text}</text>`;
    labels += `<text class="tick" x="${at}" y="${bottom + 14}" text-anchor="middle">${text}</text>`;
  }
  return `<path class="grid" d="${grid}"/>${labels}`;
}

function legendSvg(): string {
  const items: [string, string][] = [
    ["wait", "waiting"],
    ["lock-wait", "lock wait"],
    ["run", "running"],
    ["serving", "ready, serving"],
    ["run critical-key", "critical chain"],
    ["run failed", "failed"],
    ["not-run", "not run"],
  ];
  let at = LEFT;
  let out = "";
  for (const [cls, text] of items) {
    const style = cls === "run critical-key" ? ' style="fill:#f57c00"' : "";
    out += `<rect class="${cls}" x="${at}" y="26" width="14" height="10"${style}/><text x="${at + 18}" y="35">${text}</text>`;
    at = round(at + 26 + text.length * CHAR_WIDTH);
  }
  return `<g class="legend">${out}</g>`;
}

/** The headline: how many units, how long start-up took, and the critical chain. */
export function headline(model: GanttModel): string {
  const { summary } = model;
  if (summary.units === 0) return "unitsync start-up: no units registered";
  const took = formatDuration(model.end);
  const state = summary.failed > 0 ? `${summary.failed} failed` : summary.finished || summary.completed === summary.units ? "complete" : "in progress";
  const chain = model.criticalChain.length > 0 ? ` · critical chain ${clip(model.criticalChain.join(" → "), 120)}` : "";
  return `unitsync start-up: ${summary.units} units, ${state}, ${took}${chain}`;
}

/** The whole chart. Size grows linearly with rows and segments (see the README for the bound). */
export function ganttSvg(model: GanttModel): string {
  const geometry = layout(model);
  const rows = model.rows.map((row, i) => rowSvg(model, geometry, row, i)).join("\n");
  const empty = model.rows.length === 0 ? `<text class="label" x="${LEFT}" y="${TOP + 15}">No units registered</text>` : "";
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${geometry.width}" height="${geometry.height}" viewBox="0 0 ${geometry.width} ${geometry.height}" role="img" aria-label="${x(headline(model))}">\n` +
    `<title>${x(headline(model))}</title>\n<style>${STYLE}</style>\n` +
    `<rect class="bg" width="100%" height="100%"/>\n` +
    `<text class="head" x="${LEFT}" y="17">${x(headline(model))}</text>\n${legendSvg()}\n` +
    `${axisSvg(geometry, model.rows.length)}\n${rows}${empty}\n</svg>\n`
  );
}
