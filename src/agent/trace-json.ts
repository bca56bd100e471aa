// `timeline -o otlp-json`: a timeline (as GetTimeline answers it) as the OTLP JSON of the trace
// the agent exports. Lives on the agent's side so the OpenTelemetry SDK stays out of the client.
import type { GetTimelineResponse, Unit } from "../../gen/unitsync/v1/unitsync_pb.js";
import { ganttModel } from "../view/gantt-model.js";
import { traceSpans } from "../view/trace-spans.js";

export async function otlpJsonOfTimeline(response: GetTimelineResponse, units: readonly Unit[]): Promise<string> {
  const model = ganttModel(response, {
    now: Date.now(),
    owners: new Map(units.map((u) => [u.name, u.owner])),
    blocked: new Set(units.filter((u) => u.blocked).map((u) => u.name)),
  });
  return (await import("../view/trace-otlp.js")).otlpJsonOf(traceSpans(model));
}
