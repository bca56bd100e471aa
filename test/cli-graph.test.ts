// `unitsync graph`: JSON nodes and edges with conditions, Mermaid, and DOT that Graphviz's `dot` accepts.
import { spawnSync } from "node:child_process";
import test from "ava";
import { withAgent } from "./helpers/agent.js";
import { cli } from "./helpers/cli.js";

/**
 * A graph using every condition and status, with names holding `.`, `/`, `@`, `:`, `+` and `_`:
 * dotfiles.clone (completed) → acme/db-migrate (started) -started→ svc:web -finished→ cleanup@host;
 * report_v2 → not-yet (never registered); broken (failed) → pkg+x.y/z:1 (blocked).
 */
async function sampleGraph(t: Parameters<typeof withAgent>[0]) {
  const { socketPath } = await withAgent(t);
  const steps = [
    ["want", "acme/db-migrate", "dotfiles.clone"],
    ["want", "svc:web", "acme/db-migrate", "--on", "started"],
    ["want", "cleanup@host", "svc:web", "--on", "finished"],
    ["want", "report_v2", "not-yet"],
    ["want", "pkg+x.y/z:1", "broken"],
    ["start", "dotfiles.clone"],
    ["complete", "dotfiles.clone"],
    ["start", "acme/db-migrate"],
    ["start", "broken"],
    ["fail", "broken", "--reason", 'quote " and \\ backslash'],
  ];
  for (const step of steps) {
    const result = await cli([...step, "--socket", socketPath]);
    if (result.code !== 0) throw new Error(`${step.join(" ")}: ${result.stderr}`);
  }
  return socketPath;
}

const NODES = [
  { unit_name: "acme/db-migrate", status: "started", is_ready: true },
  { unit_name: "broken", status: "failed", is_ready: true },
  { unit_name: "cleanup@host", status: "pending", is_ready: false },
  { unit_name: "dotfiles.clone", status: "completed", is_ready: true },
  { unit_name: "not-yet", status: "not registered", is_ready: true },
  { unit_name: "pkg+x.y/z:1", status: "pending", is_ready: false, blocked_by: "broken" },
  { unit_name: "report_v2", status: "pending", is_ready: false },
  { unit_name: "svc:web", status: "pending", is_ready: true },
];

const EDGES = [
  { unit: "acme/db-migrate", depends_on: "dotfiles.clone", required_status: "completed", is_satisfied: true },
  { unit: "cleanup@host", depends_on: "svc:web", required_status: "finished", is_satisfied: false },
  { unit: "pkg+x.y/z:1", depends_on: "broken", required_status: "completed", is_satisfied: false },
  { unit: "report_v2", depends_on: "not-yet", required_status: "completed", is_satisfied: false },
  { unit: "svc:web", depends_on: "acme/db-migrate", required_status: "started", is_satisfied: true },
];

const byName = (a: any, b: any) => (a.unit_name ?? a.unit).localeCompare(b.unit_name ?? b.unit);

test("graph -o json lists every named unit with its status and every edge with its condition", async (t) => {
  const socketPath = await sampleGraph(t);
  const result = await cli(["graph", "-o", "json", "--socket", socketPath]);
  t.is(result.code, 0, result.stderr);
  const graph = JSON.parse(result.stdout);
  t.deepEqual([...graph.nodes].sort(byName), NODES);
  t.deepEqual([...graph.edges].sort(byName), EDGES);
});

test("graph -o dot is accepted by Graphviz's dot, with one node and one edge per unit and dependency", async (t) => {
  const socketPath = await sampleGraph(t);
  const result = await cli(["graph", "--socket", socketPath]);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^digraph unitsync \{\n/, "dot is the default format");
  t.regex(result.stdout, /"svc:web" -> "cleanup@host" \[label="finished", style=dashed\];/);
  t.regex(result.stdout, /"acme\/db-migrate" -> "svc:web" \[label="started"\];/);
  t.regex(result.stdout, /"dotfiles.clone" -> "acme\/db-migrate";/);
  t.regex(result.stdout, /"pkg\+x.y\/z:1" \[[^\n]*xlabel="blocked by broken"\]/);

  // CI installs graphviz; a missing `dot` must fail this test, not skip it.
  const svg = spawnSync("dot", ["-Tsvg"], { input: result.stdout, encoding: "utf8" });
  if (svg.error) return t.fail(`cannot run Graphviz "dot" (install the graphviz package): ${svg.error.message}`);
  t.is(svg.status, 0, svg.stderr);
  t.is(svg.stderr, "", "dot printed no warnings");
  t.regex(svg.stdout, /<svg[\s>]/);
  t.is(svg.stdout.match(/class="node"/g)?.length, NODES.length);
  t.is(svg.stdout.match(/class="edge"/g)?.length, EDGES.length);
  for (const { unit_name } of NODES) {
    const title = unit_name.replace(/-/g, "&#45;");
    t.true(svg.stdout.includes(`<title>${title}</title>`), `the SVG has node ${unit_name}`);
  }
});

test("graph -o mermaid starts with flowchart LR and draws every node and conditioned edge", async (t) => {
  const socketPath = await sampleGraph(t);
  const result = await cli(["graph", "-o", "mermaid", "--socket", socketPath]);
  t.is(result.code, 0, result.stderr);
  t.true(result.stdout.startsWith("flowchart LR\n"));
  const ids = new Map<string, string>();
  for (const match of result.stdout.matchAll(/^ {2}(\w+)\["([^"<]+)<br\/>([^"]+)"\]:::(\w+)$/gm)) {
    ids.set(match[2]!, match[1]!);
    t.is(match[3], NODES.find((n) => n.unit_name === match[2])?.status, match[2]);
  }
  t.deepEqual([...ids.keys()].sort(), NODES.map((n) => n.unit_name));
  const id = (name: string) => ids.get(name)!;
  const edgeLines = result.stdout.split("\n").filter((line) => /-->|-\.->/.test(line));
  t.deepEqual(edgeLines.sort(), [
    `  ${id("acme/db-migrate")} -->|started| ${id("svc:web")}`,
    `  ${id("broken")} -.-> ${id("pkg+x.y/z:1")}`,
    `  ${id("dotfiles.clone")} --> ${id("acme/db-migrate")}`,
    `  ${id("not-yet")} -.-> ${id("report_v2")}`,
    `  ${id("svc:web")} -.->|finished| ${id("cleanup@host")}`,
  ].sort());
});

test("graph of an empty agent is a valid empty graph; an unknown format is a usage error", async (t) => {
  const { socketPath } = await withAgent(t);
  const dot = await cli(["graph", "--socket", socketPath]);
  t.is(dot.code, 0);
  const svg = spawnSync("dot", ["-Tsvg"], { input: dot.stdout, encoding: "utf8" });
  if (svg.error) return t.fail(`cannot run Graphviz "dot" (install the graphviz package): ${svg.error.message}`);
  t.is(svg.status, 0, svg.stderr);
  t.deepEqual(JSON.parse((await cli(["graph", "-o", "json", "--socket", socketPath])).stdout), { nodes: [], edges: [] });
  const bad = await cli(["graph", "-o", "png", "--socket", socketPath]);
  t.is(bad.code, 2);
  t.is(bad.stderr, "unitsync: -o png: unknown output format; use dot or mermaid or json\n");
});
