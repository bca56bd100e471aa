// `graph`: the dependency graph with statuses as Graphviz DOT, Mermaid or JSON. Arrows point
// from a dependency to the unit that waits for it (the order things happen in).
import { SHORT_DEADLINE_MS, deadlineIn } from "../client/client.js";
import { conditionName, statusName } from "../rpc/enums.js";
import type { GetGraphResponse } from "../../gen/unitsync/v1/unitsync_pb.js";
import { json, outputFormat } from "./format.js";
import type { Io } from "./io.js";
import { type GlobalOptions, withClient } from "./session.js";

const FILL: Record<string, string> = {
  completed: "#c8e6c9",
  started: "#b3e5fc",
  pending: "#fff9c4",
  failed: "#ffcdd2",
  "not registered": "#eeeeee",
};

/** A DOT double-quoted string. */
const quote = (text: string) => `"${text.replace(/["\\]/g, "\\$&")}"`;

export function toDot(graph: GetGraphResponse): string {
  const lines = ["digraph unitsync {", "  rankdir=LR;", '  node [shape=box, style="rounded,filled", fontname="Helvetica"];'];
  for (const node of graph.nodes) {
    const status = statusName(node.status);
    const attributes = [
      `label=${quote(`${node.name}\n${status}`).replace("\n", "\\n")}`,
      `fillcolor=${quote(FILL[status] ?? "#ffffff")}`,
      ...(node.blocked ? [`xlabel=${quote(`blocked by ${node.blocked.failedUnit}`)}`] : []),
    ];
    lines.push(`  ${quote(node.name)} [${attributes.join(", ")}];`);
  }
  for (const edge of graph.edges) {
    const condition = conditionName(edge.required);
    const attributes = [condition === "completed" ? "" : `label=${quote(condition)}`, edge.satisfied ? "" : "style=dashed"].filter(Boolean);
    lines.push(`  ${quote(edge.dependsOn)} -> ${quote(edge.unit)}${attributes.length ? ` [${attributes.join(", ")}]` : ""};`);
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}

/** Text inside a Mermaid "quoted" label: quotes and markup as Mermaid's entity codes. */
const mermaidText = (text: string) =>
  text.replace(/[#"<>&]/g, (c) => ({ "#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;" })[c]!);

export function toMermaid(graph: GetGraphResponse): string {
  // Unit names may hold characters Mermaid ids cannot, so nodes get generated ids and quoted labels.
  const id = new Map(graph.nodes.map((n, i) => [n.name, `u${i}`]));
  const lines = ["flowchart LR"];
  for (const node of graph.nodes) lines.push(`  ${id.get(node.name)}["${mermaidText(node.name)}<br/>${statusName(node.status)}"]:::${statusName(node.status).replace(" ", "_")}`);
  for (const edge of graph.edges) {
    const condition = conditionName(edge.required);
    const arrow = edge.satisfied ? "-->" : "-.->";
    lines.push(`  ${id.get(edge.dependsOn)} ${arrow}${condition === "completed" ? "" : `|${condition}|`} ${id.get(edge.unit)}`);
  }
  for (const [status, fill] of Object.entries(FILL)) lines.push(`  classDef ${status.replace(" ", "_")} fill:${fill}`);
  return lines.join("\n") + "\n";
}

export function graphJson(graph: GetGraphResponse) {
  return {
    nodes: graph.nodes.map((n) => ({
      unit_name: n.name,
      status: statusName(n.status),
      is_ready: n.ready,
      ...(n.blocked ? { blocked_by: n.blocked.failedUnit } : {}),
    })),
    edges: graph.edges.map((e) => ({ unit: e.unit, depends_on: e.dependsOn, required_status: conditionName(e.required), is_satisfied: e.satisfied })),
  };
}

export function graph(io: Io, options: GlobalOptions & { output?: string }): Promise<number> {
  // "names" (one per line, for shell completion) is not advertised.
  const format = options.output === "names" ? "names" : outputFormat(options.output, ["dot", "mermaid", "json"]);
  return withClient(io, options, "graph", async (client) => {
    const response = await client.getGraph({}, { deadline: deadlineIn(SHORT_DEADLINE_MS) });
    if (format === "names") return void io.stdout.write(response.nodes.map((n) => `${n.name}\n`).join(""));
    io.stdout.write(format === "dot" ? toDot(response) : format === "mermaid" ? toMermaid(response) : json(graphJson(response)));
  });
}
