// The live page's assets: the HTML shell, its stylesheet and script (served from the same origin,
// no third-party assets), and the state it shows (banner, units table, graph, Gantt) rendered here.
import type { GetGraphResponse, Unit } from "../../gen/unitsync/v1/unitsync_pb.js";
import { UnitStatus } from "../../gen/unitsync/v1/unitsync_pb.js";
import type { GanttModel } from "./gantt-model.js";
import { ganttSvg } from "./gantt-svg.js";
import { graphSvg } from "./graph-svg.js";
import { escapeXml as x, formatDuration } from "./text.js";

export type BannerKind = "complete" | "failed" | "progress" | "empty" | "disconnected";

export interface LiveState {
  /** Increases with every state the server renders. */
  version: number;
  banner: { kind: BannerKind; text: string };
  table: string;
  graph: string;
  gantt: string;
}

const STATUS: Record<number, string> = {
  [UnitStatus.PENDING]: "pending",
  [UnitStatus.STARTED]: "started",
  [UnitStatus.COMPLETED]: "completed",
  [UnitStatus.FAILED]: "failed",
};

export function banner(model: GanttModel, units: readonly Unit[]): LiveState["banner"] {
  const { summary } = model;
  if (units.length === 0) return { kind: "empty", text: "No units registered yet" };
  const failed = units.filter((u) => u.status === UnitStatus.FAILED);
  if (failed.length > 0) {
    const first = failed[0]!;
    const blocked = units.filter((u) => u.blocked).length;
    const more = failed.length > 1 ? ` and ${failed.length - 1} more` : "";
    return {
      kind: "failed",
      text: `Start-up failed: ${first.name} failed${first.reason ? `: ${first.reason}` : ""}${more}${blocked ? ` · ${blocked} blocked` : ""}`,
    };
  }
  const done = units.filter((u) => u.status === UnitStatus.COMPLETED).length;
  if (done === units.length) return { kind: "complete", text: `Start-up complete: ${done} units in ${formatDuration(model.end)}` };
  return { kind: "progress", text: `Starting: ${done} of ${units.length} units completed, ${summary.running} waiting or running` };
}

function unitsTable(model: GanttModel, units: readonly Unit[]): string {
  const rows = new Map(model.rows.map((r) => [r.unit, r]));
  const sum = (unit: string, kinds: string[]) =>
    (rows.get(unit)?.segments ?? []).filter((s) => kinds.includes(s.kind)).reduce((n, s) => n + s.end - s.start, 0);
  const body = units
    .map((u) => {
      const status = u.blocked ? "blocked" : (STATUS[u.status] ?? "pending");
      const why = u.blocked ? `${u.blocked.failedUnit} failed${u.blocked.reason ? `: ${u.blocked.reason}` : ""}` : u.reason;
      const deps = u.dependencies.map((d) => d.dependsOn).join(", ");
      const row = rows.get(u.name);
      const cells = [
        `<td class="name">${x(u.name)}</td>`,
        `<td class="status"><span class="pill st-${status}">${status}</span></td>`,
        `<td>${row && row.attempts > 1 ? row.attempts : ""}</td>`,
        `<td>${x(u.owner)}</td>`,
        `<td>${x(deps)}</td>`,
        `<td class="num">${row ? formatDuration(sum(u.name, ["wait", "lock-wait"])) : ""}</td>`,
        `<td class="num">${row ? formatDuration(sum(u.name, ["run"])) : ""}</td>`,
        `<td class="reason">${x(why)}</td>`,
      ];
      return `<tr data-unit="${x(u.name)}" data-status="${status}">${cells.join("")}</tr>`;
    })
    .join("\n");
  return `<table><thead><tr><th>Unit</th><th>Status</th><th>Attempts</th><th>Owner</th><th>After</th><th>Waited</th><th>Ran</th><th>Reason</th></tr></thead><tbody>${body}</tbody></table>`;
}

export function liveState(version: number, model: GanttModel, units: readonly Unit[], graph: GetGraphResponse): LiveState {
  return { version, banner: banner(model, units), table: unitsTable(model, units), graph: graphSvg(graph), gantt: ganttSvg(model) };
}

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>unitsync start-up</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="app.css">
<script src="app.js" defer></script>
</head>
<body data-version="0">
<header><h1>unitsync start-up</h1><div id="banner" class="banner progress" role="status" aria-live="polite">Connecting to the agent…</div></header>
<main>
<section><h2>Timeline</h2><div id="gantt" class="scroll tall"></div></section>
<section><h2>Units</h2><div id="units" class="scroll"></div></section>
<section><h2>Graph</h2><div id="graph" class="scroll"></div></section>
</main>
</body>
</html>
`;

export const PAGE_CSS = `
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#222;background:#fafafa}
header{position:sticky;top:0;z-index:1;background:#fff;border-bottom:1px solid #ddd;padding:10px 16px}
h1{font-size:16px;margin:0 0 6px}h2{font-size:14px;margin:16px 16px 6px}
.banner{padding:8px 12px;border-radius:6px;font-weight:600}
.banner.progress,.banner.empty{background:#e3f2fd;color:#0d47a1}
.banner.complete{background:#e8f5e9;color:#1b5e20}
.banner.failed{background:#ffebee;color:#b71c1c}
.banner.disconnected{background:#fff3e0;color:#e65100}
.scroll{overflow:auto;margin:0 16px;background:#fff;border:1px solid #e0e0e0}
.tall{max-height:60vh}
.scroll svg{display:block}
table{border-collapse:collapse;font-size:12px;width:100%}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eee;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}td.reason{color:#b71c1c}
.pill{padding:1px 6px;border-radius:8px;background:#eee}
.st-completed{background:#c8e6c9}.st-started{background:#b3e5fc}.st-pending{background:#fff9c4}
.st-failed{background:#ffcdd2}.st-blocked{background:#f5f5f5;outline:1px dashed #c62828}
`;

/** The page's script: one EventSource; each "state" event replaces the banner, table, graph and chart. */
export const PAGE_JS = `"use strict";
(function () {
  var banner = document.getElementById("banner");
  var parts = { units: document.getElementById("units"), graph: document.getElementById("graph"), gantt: document.getElementById("gantt") };
  var source = new EventSource("events");
  source.addEventListener("state", function (event) {
    var state = JSON.parse(event.data);
    banner.className = "banner " + state.banner.kind;
    banner.textContent = state.banner.text;
    parts.units.innerHTML = state.table;
    parts.graph.innerHTML = state.graph;
    parts.gantt.innerHTML = state.gantt;
    document.body.setAttribute("data-version", String(state.version));
  });
  source.addEventListener("error", function () {
    if (source.readyState !== EventSource.OPEN) {
      banner.className = "banner disconnected";
      banner.textContent = "Lost the unitsync web server; reconnecting…";
    }
  });
})();
`;
