// The dependency graph as Graphviz DOT, Mermaid or JSON, from plain data: the agent's live graph
// (`graph`) and a plan that has not run (`graph -f`) draw the same way. Arrows point from a
// dependency to the unit that waits for it (the order things happen in).

export interface GraphNode {
  name: string;
  /** A unit status, or "planned" for a unit of a plan that has not run. */
  status: string;
  ready: boolean;
  blockedBy?: string;
}

export interface GraphEdge {
  unit: string;
  dependsOn: string;
  /** completed, started or finished. */
  required: string;
  satisfied: boolean;
}

export interface GraphData {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

const FILL: Record<string, string> = {
  completed: "#c8e6c9",
  started: "#b3e5fc",
  pending: "#fff9c4",
  failed: "#ffcdd2",
  "not registered": "#eeeeee",
  planned: "#ffffff",
};

/** A DOT double-quoted string. */
const quote = (text: string) => `"${text.replace(/["\\]/g, "\\$&")}"`;

export function toDot(graph: GraphData): string {
  const lines = ["digraph unitsync {", "  rankdir=LR;", '  node [shape=box, style="rounded,filled", fontname="Helvetica"];'];
  for (const node of graph.nodes) {
    const attributes = [
      `label=${quote(`${node.name}\n${node.status}`).replace("\n", "\\n")}`,
      `fillcolor=${quote(FILL[node.status] ?? "#ffffff")}`,
      ...(node.blockedBy ? [`xlabel=${quote(`blocked by ${node.blockedBy}`)}`] : []),
    ];
    lines.push(`  ${quote(node.name)} [${attributes.join(", ")}];`);
  }
  for (const edge of graph.edges) {
    const attributes = [edge.required === "completed" ? "" : `label=${quote(edge.required)}`, edge.satisfied ? "" : "style=dashed"].filter(Boolean);
    lines.push(`  ${quote(edge.dependsOn)} -> ${quote(edge.unit)}${attributes.length ? ` [${attributes.join(", ")}]` : ""};`);
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}

/** Text inside a Mermaid "quoted" label: quotes and markup as Mermaid's entity codes. */
const mermaidText = (text: string) =>
  text.replace(/[#"<>&]/g, (c) => ({ "#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;" })[c]!);

export function toMermaid(graph: GraphData): string {
  // Unit names may hold characters Mermaid ids cannot, so nodes get generated ids and quoted labels.
  const id = new Map(graph.nodes.map((n, i) => [n.name, `u${i}`]));
  const lines = ["flowchart LR"];
  for (const node of graph.nodes) lines.push(`  ${id.get(node.name)}["${mermaidText(node.name)}<br/>${node.status}"]:::${node.status.replace(" ", "_")}`);
  for (const edge of graph.edges) {
    const arrow = edge.satisfied ? "-->" : "-.->";
    lines.push(`  ${id.get(edge.dependsOn)} ${arrow}${edge.required === "completed" ? "" : `|${edge.required}|`} ${id.get(edge.unit)}`);
  }
  const used = new Set(graph.nodes.map((n) => n.status));
  for (const [status, fill] of Object.entries(FILL)) if (status !== "planned" || used.has(status)) lines.push(`  classDef ${status.replace(" ", "_")} fill:${fill}`);
  return lines.join("\n") + "\n";
}

export function graphJson(graph: GraphData) {
  return {
    nodes: graph.nodes.map((n) => ({ unit_name: n.name, status: n.status, is_ready: n.ready, ...(n.blockedBy ? { blocked_by: n.blockedBy } : {}) })),
    edges: graph.edges.map((e) => ({ unit: e.unit, depends_on: e.dependsOn, required_status: e.required, is_satisfied: e.satisfied })),
  };
}
