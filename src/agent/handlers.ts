// The UnitSyncService handlers: decode → core call → encode. Errors go through src/rpc/status.ts.
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { performance } from "node:perf_hooks";
import type * as grpc from "@grpc/grpc-js";
import { LimitExceeded } from "../core/errors.js";
import { declarePlan } from "../core/plan-declare.js";
import type { LockTable } from "../core/locks.js";
import type { Registry } from "../core/registry.js";
import { conditionName, conditionToProto, statusToProto } from "../rpc/enums.js";
import { encodeOnce, type ServiceHandlers } from "../rpc/service.js";
import { OWNER_KEY, toServiceError } from "../rpc/status.js";
import {
  type StartResponse,
  StartResponseSchema,
  UnitSyncService,
  type WatchResponse,
  WatchResponseSchema,
} from "../../gen/unitsync/v1/unitsync_pb.js";
import type { Processes } from "../core/processes.js";
import { UnitNotFound } from "../core/errors.js";
import type { UnitView } from "../core/registry.js";
import { eventToProto, unitToProto as unitMessage } from "./convert.js";
import { processFromProto } from "./process-convert.js";
import { createLockHandlers, lockTimeline, withLocks } from "./lock-handlers.js";

export const PROTOCOL_VERSION = 1;

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

export interface AgentContext {
  readonly registry: Registry;
  /** The processes behind units, as their runners report them; composed with the registry here. */
  readonly processes: Processes;
  readonly locks: LockTable;
  readonly version: string;
  readonly startedAt: number;
  /** Aborts, with ShuttingDown as its reason, when the agent begins to shut down. */
  readonly shutdown: AbortSignal;
  /** Open server streams (Start and Watch). */
  streams: number;
  /** A Start or Watch that would open more streams than this is refused. */
  readonly maxStreams: number;
  connections(): number;
  logError(error: unknown): void;
  /** The journal's live figures, when the agent has one. */
  journal?: { records: number; bytes: number; replayed: number };
  /** `started` messages handed to Start streams, and when the last one was (ms since the epoch, sub-ms). */
  startedSent: number;
  lastStartedSentAt?: number;
}

type Handlers = ServiceHandlers<typeof UnitSyncService>;

/** Counts a `started` message handed to a Start stream (Ping's started_sent, last_started_sent_at). */
export function startedSent(ctx: AgentContext): void {
  ctx.startedSent++;
  ctx.lastStartedSentAt = performance.timeOrigin + performance.now();
}

/** A Timestamp of a time in ms since the epoch that keeps its fraction of a millisecond. */
function preciseTimestamp(ms: number) {
  const whole = Math.floor(ms);
  const timestamp = timestampFromMs(whole);
  timestamp.nanos += Math.floor((ms - whole) * 1_000_000);
  return timestamp;
}

function ownerOf(call: { metadata: grpc.Metadata }): string {
  const value = call.metadata.get(OWNER_KEY)[0];
  return typeof value === "string" ? value.slice(0, 256) : "";
}

/** Wraps a synchronous core call as a unary handler that answers exactly once. */
export function unary<Req, Res>(ctx: AgentContext, fn: (request: Req, owner: string) => Res): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    let response: Res;
    try {
      response = fn(call.request, ownerOf(call));
    } catch (error) {
      return callback(toServiceError(error, ctx.logError));
    }
    callback(null, response);
  };
}

/** The streams' shutdown callbacks, by shutdown signal, and the one listener that calls them. */
const shutdownCallbacks = new WeakMap<AbortSignal, { callbacks: Set<() => void>; listener: () => void }>();

/**
 * Calls `callback` when `signal` aborts; returns what forgets it. Every open stream has one, and
 * an AbortSignal's own listeners cost O(listeners) to add and to remove: with 10,000 open Start
 * calls, opening them and waking them all was quadratic. One listener per signal calls a set;
 * it is removed with the last callback, so no listener outlives the streams.
 */
function onAbort(signal: AbortSignal, callback: () => void): () => void {
  if (signal.aborted) {
    callback();
    return () => {};
  }
  let entry = shutdownCallbacks.get(signal);
  if (!entry) {
    const callbacks = new Set<() => void>();
    const listener = () => {
      shutdownCallbacks.delete(signal);
      for (const each of [...callbacks]) each();
      callbacks.clear();
    };
    entry = { callbacks, listener };
    shutdownCallbacks.set(signal, entry);
    signal.addEventListener("abort", listener, { once: true });
  }
  const { callbacks, listener } = entry;
  callbacks.add(callback);
  return () => {
    if (!callbacks.delete(callback) || callbacks.size > 0) return;
    if (shutdownCallbacks.get(signal)?.listener === listener) shutdownCallbacks.delete(signal);
    signal.removeEventListener("abort", listener);
  };
}

/**
 * Runs a server stream: `body` gets a signal that aborts on client cancel, deadline or agent
 * shutdown, and a `send`; the stream ends OK when body resolves, with the mapped error when it
 * rejects. The stream is counted while open.
 */
export function serverStream<Req, Res>(
  ctx: AgentContext,
  body: (request: Req, signal: AbortSignal, send: (message: Res) => void, owner: string) => Promise<void>,
): grpc.handleServerStreamingCall<Req, Res> {
  return (call) => {
    if (ctx.streams >= ctx.maxStreams) {
      const refused = new LimitExceeded(`the agent has ${ctx.streams} open streams; the limit is ${ctx.maxStreams}`);
      call.emit("error", toServiceError(refused, ctx.logError));
      return;
    }
    // One signal for the body: aborted by the client's cancel (or deadline) or by agent shutdown.
    // Linked by hand rather than with AbortSignal.any, which costs far more per stream.
    const stop = new AbortController();
    let clientGone = false;
    const onCancelled = (reason?: unknown) => {
      clientGone = true;
      // The stream budget cancels a stream that fell behind with its own reason.
      stop.abort(reason instanceof Error ? reason : new Error("call cancelled by the client"));
    };
    call.once("cancelled", onCancelled);
    const forgetShutdown = onAbort(ctx.shutdown, () => stop.abort(ctx.shutdown.reason));
    const signal = stop.signal;
    ctx.streams++;
    const finish = (error?: unknown) => {
      ctx.streams--;
      call.off("cancelled", onCancelled);
      forgetShutdown();
      if (clientGone) return; // nobody is listening any more
      if (error === undefined) call.end();
      else call.emit("error", toServiceError(error, ctx.logError));
    };
    const send = (message: Res) => {
      if (!clientGone) call.write(message);
    };
    let running: Promise<void>;
    try {
      running = body(call.request, signal, send, ownerOf(call));
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(() => finish(), finish);
  };
}

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
      const message = (event: StartResponse["event"]) => create(StartResponseSchema, { event });
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
      startedSent(ctx);
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

