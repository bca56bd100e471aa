// How the agent answers one call: the context every handler shares, and the unary and
// server-stream wrappers that map core errors to gRPC statuses and end a stream on cancel,
// deadline or shutdown without leaving a listener behind.
import { performance } from "node:perf_hooks";
import type * as grpc from "@grpc/grpc-js";
import { LimitExceeded } from "../core/errors.js";
import type { LockTable } from "../core/locks.js";
import type { Processes } from "../core/processes.js";
import type { Registry } from "../core/registry.js";
import { toServiceError } from "../rpc/status.js";
import { ownerOf } from "./journal-ops.js";
import type { Outbox } from "./outbox.js";
import { timestampFromMs } from "../rpc/timestamps.js";

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
  /** The bytes, end and error status of every server stream, spread over event-loop turns (stream-budget.ts hands them in). */
  readonly outbox: Outbox;
  connections(): number;
  logError(error: unknown): void;
  /** The journal's live figures, when the agent has one. */
  journal?: { records: number; bytes: number; replayed: number };
  /** `started` messages handed to Start streams, and when the last one was (ms since the epoch, sub-ms). */
  startedSent: number;
  lastStartedSentAt?: number;
}

/** Counts a `started` message handed to a Start stream (Ping's started_sent, last_started_sent_at). */
export function startedSent(ctx: AgentContext): void {
  ctx.startedSent++;
  ctx.lastStartedSentAt = performance.timeOrigin + performance.now();
}

/** A Timestamp of a time in ms since the epoch that keeps its fraction of a millisecond. */
export function preciseTimestamp(ms: number) {
  const whole = Math.floor(ms);
  const timestamp = timestampFromMs(whole);
  timestamp.nanos += Math.floor((ms - whole) * 1_000_000);
  return timestamp;
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
      // The bytes before it wait in the outbox (see stream-budget.ts), and so does the status.
      if (error === undefined) call.end();
      else ctx.outbox.run(() => call.emit("error", toServiceError(error, ctx.logError)));
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
