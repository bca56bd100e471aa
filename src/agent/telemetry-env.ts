// Whether the agent exports traces: the standard OpenTelemetry variables, read without loading
// any OpenTelemetry code (the exporter is imported only when this says yes).

/** True when an OTLP endpoint is set and neither OTEL_SDK_DISABLED nor OTEL_TRACES_EXPORTER=none turns it off. */
export function tracesWanted(env: Record<string, string | undefined>): boolean {
  const endpoint = (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "").trim();
  if (endpoint === "") return false;
  if ((env.OTEL_SDK_DISABLED ?? "").trim().toLowerCase() === "true") return false;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? "otlp").split(",").map((s) => s.trim().toLowerCase());
  return exporters.includes("otlp") || exporters.includes("");
}
