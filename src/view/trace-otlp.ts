// Span specs → OpenTelemetry SDK spans (for the agent's OTLP exporter) and → OTLP JSON (for
// `timeline -o otlp-json`). Every @opentelemetry module is imported here, lazily, and nowhere else.
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import type { SpanSpec } from "./trace-spans.js";
import { VERSION } from "../version.js";

export const SCOPE_NAME = "unitsync";

/** The resource: service.name "unitsync" unless OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES say otherwise. */
async function resource(extra: Record<string, string>) {
  const { defaultResource, detectResources, envDetector, resourceFromAttributes } = await import("@opentelemetry/resources");
  return defaultResource()
    .merge(resourceFromAttributes({ "service.name": "unitsync", "service.version": VERSION, ...extra }))
    .merge(detectResources({ detectors: [envDetector] }));
}

/** Builds finished SDK spans with the given times, parents and statuses. */
export async function readableSpans(specs: readonly SpanSpec[], resourceAttributes: Record<string, string> = {}): Promise<ReadableSpan[]> {
  if (specs.length === 0) return [];
  const [api, sdk] = await Promise.all([import("@opentelemetry/api"), import("@opentelemetry/sdk-trace-base")]);
  const memory = new sdk.InMemorySpanExporter();
  const provider = new sdk.BasicTracerProvider({
    resource: await resource(resourceAttributes),
    spanProcessors: [new sdk.SimpleSpanProcessor(memory)],
    spanLimits: { attributeValueLengthLimit: 4096 },
  });
  const tracer = provider.getTracer(SCOPE_NAME, VERSION);
  const open = new Map<string, ReturnType<typeof tracer.startSpan>>();
  for (const spec of specs) {
    const parent = spec.parent === undefined ? undefined : open.get(spec.parent);
    const context = parent ? api.trace.setSpan(api.ROOT_CONTEXT, parent) : api.ROOT_CONTEXT;
    const span = tracer.startSpan(spec.name, { startTime: spec.start, attributes: spec.attributes, root: parent === undefined }, context);
    if (spec.error !== undefined) span.setStatus({ code: api.SpanStatusCode.ERROR, message: spec.error });
    open.set(spec.key, span);
  }
  // End children before parents, so every span is finished when its parent is.
  for (const spec of [...specs].reverse()) open.get(spec.key)!.end(spec.end);
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

/** One OTLP/JSON ExportTraceServiceRequest, as a collector's file receiver reads it. */
export async function otlpJsonOf(specs: readonly SpanSpec[]): Promise<string> {
  const spans = await readableSpans(specs);
  const { JsonTraceSerializer } = await import("@opentelemetry/otlp-transformer");
  const bytes = spans.length > 0 ? JsonTraceSerializer.serializeRequest(spans) : undefined;
  return (bytes ? new TextDecoder().decode(bytes) : JSON.stringify({ resourceSpans: [] })) + "\n";
}
