// Puts the journal under the RPC handlers: a unary call that succeeded, a stream message that
// reports a change (a start that registered or started its unit), and a stream's error ending
// that changed state (a start refused after registering its unit) are appended to the journal
// before the client hears of them. What each call records is in journal-ops.ts.
import type * as grpc from "@grpc/grpc-js";
import type { Journal, ReplayClock } from "./journal.js";
import { ownerOf, type ReplayTarget, STREAM_RECORDERS, UNARY_RECORDERS } from "./journal-ops.js";

type Handler = (...args: never[]) => unknown;

/**
 * The registry's clock stands still while a handler runs its core call, so every time that call
 * records (registration, change, events) is the one time its journal record carries, and replay
 * at that time gives back the same times.
 */
function frozen<T>(clock: ReplayClock, fn: () => T, at = Date.now()): T {
  if (clock.at !== undefined) return fn();
  clock.at = at;
  try {
    return fn();
  } finally {
    clock.at = undefined;
  }
}

export function withJournal<H extends Record<string, unknown>>(
  handlers: H,
  journal: Journal,
  target: ReplayTarget,
  clock: ReplayClock,
  logError: (error: unknown) => void,
): H {
  const out: Record<string, unknown> = { ...handlers };
  const record = (entry: Parameters<Journal["append"]>[0] | undefined) => {
    if (!entry) return;
    try {
      journal.append(entry);
    } catch (error) {
      // A full disk must not stop the agent: the change stands in memory, only its journal entry is lost.
      logError(error);
    }
  };
  for (const [name, recorder] of Object.entries(UNARY_RECORDERS)) {
    const handler = handlers[name] as Handler | undefined;
    if (!handler) continue;
    out[name] = (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, callback: grpc.sendUnaryData<unknown>) =>
      frozen(clock, () =>
        (handler as (c: typeof call, cb: typeof callback) => unknown)(call, (error, response, ...rest) => {
          if (!error) record(recorder(call.request, response as Record<string, unknown> | undefined, ownerOf(call)));
          (callback as (...args: unknown[]) => void)(error, response, ...rest);
        }),
      );
  }
  for (const [name, recorder] of Object.entries(STREAM_RECORDERS)) {
    const handler = handlers[name] as Handler | undefined;
    if (!handler) continue;
    out[name] = (call: grpc.ServerWritableStream<Record<string, unknown>, unknown>) => {
      let state: Record<string, unknown> = {};
      try {
        state = recorder.before?.(call.request, target) ?? {};
      } catch {
        // an invalid request: the handler refuses it
      }
      // Read once: a fan-out writes to thousands of streams, and every write is recorded.
      const owner = ownerOf(call);
      const write = call.write.bind(call) as (chunk: unknown, ...rest: unknown[]) => boolean;
      (call as { write: unknown }).write = (message: unknown, ...rest: unknown[]) => {
        record(recorder.message(call.request, message as Record<string, unknown>, owner, state));
        return write(message, ...rest);
      };
      // The time the call's core step ran at: a record its error ending leaves carries it.
      const at = clock.at ?? Date.now();
      if (recorder.failed) {
        const failed = recorder.failed;
        // Ahead of grpc-js's own listener, which sends the status (a listener, not a wrapped emit:
        // grpc-js emits several events on every stream, and only "error" is of interest).
        call.prependListener("error", (error: unknown) => {
          const entry = failed(call.request, error, owner, state);
          if (entry) record({ ...entry, t: entry.t ?? at });
        });
      }
      return frozen(clock, () => (handler as (c: typeof call) => unknown)(call), at);
    };
  }
  return out as H;
}
