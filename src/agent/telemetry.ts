// Trace export: one OpenTelemetry trace per start-up, sent with the OTLP/HTTP (protobuf) exporter
// configured by the standard OTEL_* variables. A start-up's trace is exported once every
// registered unit has finished (completed, failed, or blocked by a failure) and nothing has
// changed for `settleMs`; at agent shutdown, whatever is still open is exported as unfinished.
// Activity after an export (a re-run, late units) is the next start-up, with its own trace.
import type { Processes } from "../core/processes.js";
import type { Registry } from "../core/registry.js";
import { ganttModel } from "../view/gantt-model.js";
import { traceSpans } from "../view/trace-spans.js";
import { timelineToProto } from "./convert.js";

export interface TelemetryOptions {
  registry: Registry;
  processes: Processes;
  log: (line: string) => void;
  /** Quiet time after the last unit finished before the trace is sent (default 1 s). */
  settleMs?: number;
  /** Longest wait for the last export at shutdown (default 5 s). */
  shutdownMs?: number;
}

export interface Telemetry {
  /** Exports what is open, flushes, and stops listening. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_SETTLE_MS = 1_000;

export async function startTelemetry(options: TelemetryOptions): Promise<Telemetry> {
  const { registry, log } = options;
  const [{ OTLPTraceExporter }, { readableSpans }] = await Promise.all([
    import("@opentelemetry/exporter-trace-otlp-proto"),
    import("../view/trace-otlp.js"),
  ]);
  const { ExportResultCode } = await import("@opentelemetry/core");
  const exporter = new OTLPTraceExporter();
  /** Epoch ms of the last export: attempts that began before it were in an earlier trace. */
  let cutoff = -Infinity;
  let changedSinceExport = false;
  let settle: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<void>>();

  const finished = () => {
    const units = registry.list();
    return units.length > 0 && units.every((u) => u.status === "completed" || u.status === "failed" || u.blocked !== undefined);
  };

  const exportNow = (why: string): Promise<void> => {
    if (!changedSinceExport) return Promise.resolve();
    changedSinceExport = false;
    const units = registry.list();
    const timeline = timelineToProto(registry.timeline(), registry.events(), registry.counts().droppedEvents, (unit) => options.processes.get(unit));
    const model = ganttModel(timeline, {
      now: Date.now(),
      owners: new Map(units.map((u) => [u.name, u.owner])),
      blocked: new Set(units.filter((u) => u.blocked).map((u) => u.name)),
    });
    const specs = traceSpans(model, { since: cutoff - model.origin });
    cutoff = Date.now();
    if (specs.length === 0) return Promise.resolve();
    const sent = (async () => {
      const spans = await readableSpans(specs);
      const traceId = spans[0]?.spanContext().traceId ?? "";
      await new Promise<void>((resolve) =>
        exporter.export(spans, (result) => {
          if (result.code === ExportResultCode.SUCCESS) log(`trace ${traceId} exported (${spans.length} spans, ${why})`);
          else log(`trace export failed: ${result.error?.message ?? "unknown error"}`);
          resolve();
        }),
      );
    })().catch((error) => log(`trace export failed: ${error instanceof Error ? error.message : String(error)}`));
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
    return sent;
  };

  // The check runs when the settle time has passed since the last event, never inside the
  // registry's own change (whose listeners run before every effect of that change is in place).
  const subscription = registry.subscribe(() => {
    changedSinceExport = true;
    if (settle) clearTimeout(settle);
    settle = setTimeout(() => {
      settle = undefined;
      if (finished()) void exportNow("start-up finished");
    }, options.settleMs ?? DEFAULT_SETTLE_MS);
  });
  log(`exporting start-up traces over OTLP/HTTP`);

  let closing: Promise<void> | undefined;
  return {
    close: () =>
      (closing ??= (async () => {
        subscription.unsubscribe();
        if (settle) clearTimeout(settle);
        settle = undefined;
        void exportNow(finished() ? "start-up finished" : "agent shutting down, some units unfinished");
        let timer: NodeJS.Timeout | undefined;
        const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, options.shutdownMs ?? 5_000)));
        await Promise.race([Promise.all([...inFlight]).then(() => exporter.shutdown()), limit]);
        clearTimeout(timer);
      })()),
  };
}
