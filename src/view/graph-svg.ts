// The dependency graph as an SVG for the live page: units in columns by depth (dependencies to
// the left), coloured by status, arrows from a dependency to its dependent (dashed while unmet).
import type { GetGraphResponse } from "../../gen/unitsync/v1/unitsync_pb.js";
import { UnitStatus } from "../../gen/unitsync/v1/unitsync_pb.js";
import { clip, escapeXml as x } from "./text.js";

const NODE_W = 170;
const NODE_H = 28;
const GAP_X = 60;
const GAP_Y = 12;
const PAD = 10;

const STATUS: Record<number, string> = {
  [UnitStatus.NOT_REGISTERED]: "not-registered",
  [UnitStatus.PENDING]: "pending",
  [UnitStatus.STARTED]: "started",
  [UnitStatus.COMPLETED]: "completed",
  [UnitStatus.FAILED]: "failed",
};

const STYLE = `
.node rect{stroke:#78909c;stroke-width:1}.node text{font-size:11px;fill:#222}
.completed rect{fill:#c8e6c9}.started rect{fill:#b3e5fc}.pending rect{fill:#fff9c4}
.failed rect{fill:#ffcdd2;stroke:#c62828}.not-registered rect{fill:#eee;stroke-dasharray:3 2}
.blocked rect{fill:#f5f5f5;stroke:#c62828;stroke-dasharray:4 2}
.edge{fill:none;stroke:#90a4ae;stroke-width:1.2}.edge.unmet{stroke-dasharray:4 3}
`;

/** Depth of every node: 0 without dependencies, else one more than its deepest dependency. */
function depths(graph: GetGraphResponse): Map<string, number> {
  const deps = new Map<string, string[]>();
  for (const e of graph.edges) deps.set(e.unit, [...(deps.get(e.unit) ?? []), e.dependsOn]);
  const depth = new Map<string, number>();
  // Iterative longest-path over a DAG (the agent refuses cycles): relax until nothing changes,
  // bounded by the node count in case a malformed answer holds a cycle.
  for (const n of graph.nodes) depth.set(n.name, 0);
  for (let round = 0, changed = true; changed && round <= graph.nodes.length; round++) {
    changed = false;
    for (const [unit, on] of deps) {
      const want = Math.max(...on.map((d) => (depth.get(d) ?? 0) + 1));
      if (want > (depth.get(unit) ?? 0)) {
        depth.set(unit, want);
        changed = true;
      }
    }
  }
  return depth;
}

export function graphSvg(graph: GetGraphResponse): string {
  const depth = depths(graph);
  const columns: string[][] = [];
  for (const node of graph.nodes) (columns[depth.get(node.name) ?? 0] ??= []).push(node.name);
  const at = new Map<string, { x: number; y: number }>();
  columns.forEach((names, col) =>
    (names ?? []).forEach((name, row) => at.set(name, { x: PAD + col * (NODE_W + GAP_X), y: PAD + row * (NODE_H + GAP_Y) })),
  );
  const width = PAD * 2 + Math.max(1, columns.length) * (NODE_W + GAP_X) - GAP_X;
  const height = PAD * 2 + Math.max(1, ...columns.map((c) => c?.length ?? 0)) * (NODE_H + GAP_Y) - GAP_Y;
  let edges = "";
  for (const e of graph.edges) {
    const from = at.get(e.dependsOn);
    const to = at.get(e.unit);
    if (!from || !to) continue;
    const [x1, y1, x2, y2] = [from.x + NODE_W, from.y + NODE_H / 2, to.x, to.y + NODE_H / 2];
    const mid = (x1 + x2) / 2;
    edges += `<path class="edge${e.satisfied ? "" : " unmet"}" d="M${x1} ${y1}C${mid} ${y1} ${mid} ${y2} ${x2 - 6} ${y2}" marker-end="url(#arrow)"/>`;
  }
  let nodes = "";
  for (const n of graph.nodes) {
    const p = at.get(n.name)!;
    const cls = n.blocked ? "blocked" : (STATUS[n.status] ?? "pending");
    const status = n.blocked ? `blocked by ${n.blocked.failedUnit}` : (STATUS[n.status] ?? "pending").replace("-", " ");
    nodes += `<g class="node ${cls}" data-unit="${x(n.name)}"><title>${x(`${n.name}: ${status}${n.reason ? `: ${n.reason}` : ""}`)}</title>`;
    nodes += `<rect x="${p.x}" y="${p.y}" width="${NODE_W}" height="${NODE_H}" rx="5"/>`;
    nodes += `<text x="${p.x + 8}" y="${p.y + 18}">${x(clip(n.name, 24))}</text></g>`;
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<style>${STYLE}</style><defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto">` +
    `<path d="M0 0L8 4L0 8z" fill="#90a4ae"/></marker></defs>${edges}${nodes}</svg>`
  );
}
