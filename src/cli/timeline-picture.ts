// `timeline -o svg|html|otlp-json`: the timeline as a Gantt picture, a page, or an OTLP JSON trace.
// Loaded only by those formats, so the renderers are not evaluated by any other verb.
import type { GetTimelineResponse, Unit } from "../../gen/unitsync/v1/unitsync_pb.js";
import { ganttModel } from "../view/gantt-model.js";

export async function renderPicture(format: string, response: GetTimelineResponse, units: readonly Unit[]): Promise<string> {
  // The trace needs the OpenTelemetry SDK, which ships in the agent's bundle, not the client's.
  if (format === "otlp-json") return (await import("../agent/trace-json.js")).otlpJsonOfTimeline(response, units);
  const model = ganttModel(response, {
    now: Date.now(),
    owners: new Map(units.map((u) => [u.name, u.owner])),
    blocked: new Set(units.filter((u) => u.blocked).map((u) => u.name)),
  });
  if (format === "svg") return (await import("../view/gantt-svg.js")).ganttSvg(model);
  return (await import("../view/timeline-page.js")).timelinePage(model);
}
