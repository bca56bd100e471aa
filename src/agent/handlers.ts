// The UnitSyncService handlers: decode → core call → encode. Errors go through src/rpc/status.ts.
import { create } from "@bufbuild/protobuf";
import { declarePlan } from "../core/plan-declare.js";
import { conditionName, conditionToProto, statusToProto } from "../rpc/enums.js";
import { encodeOnce, type ServiceHandlers } from "../rpc/service.js";
import {
  type StartResponse,
  StartResponseSchema,
  UnitSyncService,
  type WatchResponse,
  WatchResponseSchema,
} from "../../gen/unitsync/v1/unitsync_pb.js";
import { UnitNotFound } from "../core/errors.js";
import type { UnitView } from "../core/registry.js";
import { eventToProto, unitToProto as unitMessage } from "./convert.js";
import { processFromProto } from "./process-convert.js";
import { type AgentContext, preciseTimestamp, serverStream, startedSent, unary } from "./agent-calls.js";
import { createLockHandlers, lockTimeline, withLocks } from "./lock-handlers.js";
import { timestampFromMs } from "../rpc/timestamps.js";

export const PROTOCOL_VERSION = 1;

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

type Handlers = ServiceHandlers<typeof UnitSyncService>;

export function createHandlers(ctx: AgentContext): Handlers {
  const { registry, processes } = ctx;
  // Every unit goes out with its process state beside its status.
  const unitToProto = (view: UnitView) => unitMessage(view, processes.get(view.name));
  // One completion tells every waiter of the unit the same news, one after another: the last
  // message is kept, and sent (encoded once) while the news stays the same.
  let last: { name: string; status: string; unmet: string[]; message: StartResponse } | undefined;
  const satisfied = (name: string, status: Parameters<typeof statusToProto>[0], unmet: string[]): StartResponse => {
    if (last && last.name === name && last.status === status && sameList(last.unmet, unmet)) return last.message;
    const value = { $typeName: "unitsync.v1.DependencySatisfied" as const, name, status: statusToProto(status), unmet };
    last = { name, status, unmet, message: encodeOnce(create(StartResponseSchema, { event: { case: "dependencySatisfied", value } })) };
    return last.message;
  };
  return {
    ping: unary(ctx, () => {
      const counts = registry.counts();
      const locks = ctx.locks.counts();
      return {
        $typeName: "unitsync.v1.PingResponse",
        version: ctx.version,
        protocol: PROTOCOL_VERSION,
        startedAt: timestampFromMs(ctx.startedAt),
        uptimeMs: BigInt(Math.max(0, Date.now() - ctx.startedAt)),
        pid: process.pid,
        counts: {
          $typeName: "unitsync.v1.Counts",
          units: counts.units,
          waiters: counts.waiters,
          streams: ctx.streams,
          connections: ctx.connections(),
          events: BigInt(counts.events),
          droppedEvents: BigInt(counts.droppedEvents),
          locks: locks.locks,
          lockHolders: locks.holders,
          lockRequestsQueued: locks.queued,
          journalRecords: BigInt(ctx.journal?.records ?? 0),
          journalBytes: BigInt(ctx.journal?.bytes ?? 0),
          replayedRecords: BigInt(ctx.journal?.replayed ?? 0),
          startedSent: BigInt(ctx.startedSent),
          ...(ctx.lastStartedSentAt === undefined ? {} : { lastStartedSentAt: preciseTimestamp(ctx.lastStartedSentAt) }),
        },
      };
    }),

    want: unary(ctx, (request, owner) => ({
      $typeName: "unitsync.v1.WantResponse",
      unit: unitToProto(registry.want(request.unit, request.dependsOn, conditionName(request.condition), owner)),
    })),

    complete: unary(ctx, (request) => {
      const result = registry.complete(request.unit);
      return { $typeName: "unitsync.v1.CompleteResponse", unit: unitToProto(result.unit), changed: result.changed };
    }),

    fail: unary(ctx, (request) => {
      const result = registry.fail(request.unit, request.reason);
      return {
        $typeName: "unitsync.v1.FailResponse",
        unit: unitToProto(result.unit),
        changed: result.changed,
        blocked: result.blocked,
      };
    }),

    getUnit: unary(ctx, (request) => ({
      $typeName: "unitsync.v1.GetUnitResponse",
      unit: withLocks(ctx.locks, unitToProto(registry.get(request.unit))),
    })),

    listUnits: unary(ctx, () => ({
      $typeName: "unitsync.v1.ListUnitsResponse",
      units: registry.list().map((u) => withLocks(ctx.locks, unitToProto(u))),
    })),

    getGraph: unary(ctx, () => {
      const graph = registry.graphView();
      return {
        $typeName: "unitsync.v1.GetGraphResponse",
        nodes: graph.nodes.map(unitToProto),
        edges: graph.edges.map((e) => ({
          $typeName: "unitsync.v1.Edge",
          unit: e.unit,
          dependsOn: e.dependsOn,
          required: conditionToProto(e.required),
          satisfied: e.satisfied,
        })),
      };
    }),

    declarePlan: unary(ctx, (request, owner) => {
      const units = request.units.map((u) => ({ name: u.name, after: u.after.map((d) => ({ name: d.name, condition: conditionName(d.condition) })) }));
      declarePlan(registry, units, owner);
      return { $typeName: "unitsync.v1.DeclarePlanResponse", units: units.map((u) => unitToProto(registry.get(u.name))) };
    }),

    getTimeline: unary(ctx, () => lockTimeline(ctx, registry.timeline())),

    reportProcess: unary(ctx, (request) => {
      const view = registry.get(request.unit);
      if (view.status === "not registered") throw new UnitNotFound(request.unit);
      const reported = processFromProto(request.process);
      for (const change of processes.report(request.unit, reported)) {
        registry.record({ unit: request.unit, kind: change.kind, reason: change.reason, detail: change.detail });
        // A failed attempt that will be retried ends the unit's attempt, but its dependents keep waiting.
        if (change.kind === "process-retrying" && view.status === "started") registry.retry(request.unit, reported.exitReason);
      }
      return { $typeName: "unitsync.v1.ReportProcessResponse", unit: unitToProto(registry.get(request.unit)) };
    }),

    ...createLockHandlers(ctx),

    start: serverStream<Parameters<Handlers["start"]>[0]["request"], StartResponse>(ctx, async (request, signal, send, owner) => {
      const message = (event: StartResponse["event"]): StartResponse => ({ $typeName: "unitsync.v1.StartResponse", event });
      const progress = {
        onWaiting: (unmet: string[], unregistered: string[]) =>
          send(message({ case: "waiting", value: { $typeName: "unitsync.v1.Waiting", unmet, unregistered } })),
        onSatisfied: (name: string, status: Parameters<typeof statusToProto>[0], unmet: string[]) => send(satisfied(name, status, unmet)),
      };
      const result = await registry.start(request.unit, signal, progress, owner);
      send(
        message({
          case: "started",
          value: {
            $typeName: "unitsync.v1.Started",
            unit: unitToProto(result.unit),
            dependencies: result.dependencies,
            waitedMs: BigInt(result.waitedMs),
          },
        }),
      );
      ctx.outbox.run(() => startedSent(ctx)); // counted when written: right after the message, in the outbox's order
    }),

    watch: serverStream<Parameters<Handlers["watch"]>[0]["request"], WatchResponse>(ctx, (request, signal, send) => {
      request.units.forEach((name) => registry.get(name)); // validates every name before subscribing
      const only = request.units.length > 0 ? new Set(request.units) : undefined;
      const message = (value: WatchResponse["message"]) => create(WatchResponseSchema, { message: value });
      return new Promise<void>((resolve) => {
        const { snapshot, lastSeq, unsubscribe } = registry.subscribe((event) => {
          if (!only || only.has(event.unit)) send(message({ case: "event", value: eventToProto(event) }));
        });
        const units = only ? [...only].map((name) => registry.get(name)) : snapshot;
        send(message({ case: "snapshot", value: { $typeName: "unitsync.v1.Snapshot", units: units.map(unitToProto), lastSeq: BigInt(lastSeq) } }));
        const stop = () => {
          unsubscribe();
          resolve(); // a shutdown ends the stream cleanly; a cancel has nobody left to tell
        };
        if (signal.aborted) stop();
        else signal.addEventListener("abort", stop, { once: true });
      });
    }),
  };
}

