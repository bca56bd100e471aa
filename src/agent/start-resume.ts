// Resumed waits: a Start that carries the start_id of the call that already started its unit
// (before a lost connection or an agent restart) answers `started` at once instead of refusing
// a second start. The ids come from live calls and from the journal's replay.
import { create } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import type { Registry } from "../core/registry.js";
import { StartResponseSchema } from "../../gen/unitsync/v1/unitsync_pb.js";
import { unitToProto } from "./convert.js";

/** Which start_id started each unit (the last start of it that named one). */
export type StartedBy = Map<string, string>;

type Handler = (call: grpc.ServerWritableStream<Record<string, unknown>, unknown>) => unknown;

export function withStartResume<H extends Record<string, unknown>>(
  handlers: H,
  registry: Registry,
  startedBy: StartedBy,
  /** Called once the `started` of a resumed wait is written. */
  onStartedSent: () => void = () => {},
): H {
  const start = handlers.start as Handler | undefined;
  if (!start) return handlers;
  const resumed: Handler = (call) => {
    const unit = String(call.request.unit ?? "");
    const id = String(call.request.startId ?? "");
    if (id !== "" && startedBy.get(unit) === id) {
      let view;
      try {
        view = registry.get(unit);
      } catch {
        return start(call);
      }
      const started = { $typeName: "unitsync.v1.Started", unit: unitToProto(view), dependencies: view.dependencies.map((d) => d.dependsOn), waitedMs: 0n } as const;
      call.write(create(StartResponseSchema, { event: { case: "started", value: started } }));
      onStartedSent();
      call.end();
      return;
    }
    if (id !== "") {
      const write = call.write.bind(call) as (chunk: unknown, ...rest: unknown[]) => boolean;
      (call as { write: unknown }).write = (message: { event?: { case?: string } }, ...rest: unknown[]) => {
        if (message?.event?.case === "started") startedBy.set(unit, id);
        return write(message, ...rest);
      };
    }
    return start(call);
  };
  return { ...handlers, start: resumed };
}
