// `timeline -o otlp-json`: the start-up's trace, the same one the agent exports, as OTLP JSON.
import type { GanttModel } from "./gantt-model.js";
import { otlpJsonOf } from "./trace-otlp.js";
import { traceSpans } from "./trace-spans.js";

export const otlpJson = (model: GanttModel): Promise<string> => otlpJsonOf(traceSpans(model));
