// `graph`: the dependency graph with statuses as Graphviz DOT, Mermaid or JSON — the agent's live
// graph, or with -f a plan drawn without running it.
import { SHORT_DEADLINE_MS, deadlineIn } from "../client/client.js";
import { ExitCode } from "../client/exit-codes.js";
import { conditionName, statusName } from "../rpc/enums.js";
import type { GetGraphResponse } from "../../gen/unitsync/v1/unitsync_pb.js";
import { type GraphData, graphJson, toDot, toMermaid } from "../view/graph-render.js";
import { json, outputFormat } from "./format.js";
import { CommandError, type Io } from "./io.js";
import { loadPlanOrExplain } from "./plan-file.js";
import { type GlobalOptions, withClient } from "./session.js";

export function liveGraph(graph: GetGraphResponse): GraphData {
  return {
    nodes: graph.nodes.map((n) => ({ name: n.name, status: statusName(n.status), ready: n.ready, ...(n.blocked ? { blockedBy: n.blocked.failedUnit } : {}) })),
    edges: graph.edges.map((e) => ({ unit: e.unit, dependsOn: e.dependsOn, required: conditionName(e.required), satisfied: e.satisfied })),
  };
}

function render(format: string, data: GraphData): string {
  return format === "dot" ? toDot(data) : format === "mermaid" ? toMermaid(data) : json(graphJson(data));
}

export async function graph(io: Io, options: GlobalOptions & { output?: string; file?: string }): Promise<number> {
  // "names" (one a line, what shell completion reads) is not advertised.
  if (options.output === "names" && options.file === undefined) {
    return withClient(io, options, "graph", async (client) => {
      const { nodes } = await client.getGraph({}, { deadline: deadlineIn(SHORT_DEADLINE_MS) });
      io.stdout.write(nodes.map((n) => `${n.name}\n`).join(""));
    });
  }
  const format = outputFormat(options.output, ["dot", "mermaid", "json"]);
  if (options.file !== undefined) {
    if (typeof options.file !== "string") throw new CommandError("graph: -f needs a plan file", ExitCode.usage);
    const plan = loadPlanOrExplain(io, options.file, "graph");
    if (!plan) return ExitCode.failed;
    const data: GraphData = {
      nodes: plan.units.map((u) => ({ name: u.name, status: "planned", ready: u.after.length === 0 })),
      edges: plan.units.flatMap((u) => u.after.map((d) => ({ unit: u.name, dependsOn: d.name, required: d.condition, satisfied: false }))),
    };
    io.stdout.write(render(format, data));
    return ExitCode.ok;
  }
  return withClient(io, options, "graph", async (client) => {
    io.stdout.write(render(format, liveGraph(await client.getGraph({}, { deadline: deadlineIn(SHORT_DEADLINE_MS) }))));
  });
}
