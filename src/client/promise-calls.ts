// UnitSyncService's methods over an H2Channel: unary methods return a promise, server streams an
// async iterable that reads at the caller's pace (the stream pauses while messages wait).
import type { ServiceMethod } from "../rpc/service-methods.js";
import { CallError } from "./call-error.js";
import { frameMessage } from "./grpc-frames.js";
import type { Call, CallHandlers, CallOptions, H2Channel } from "./h2-channel.js";
import { type Decoded, decodeAnswer, encodeRequest } from "./message-codec.js";
import { Status } from "./status-codes.js";

/** Messages read ahead of the caller before the stream pauses. */
const READ_AHEAD = 16;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Starts `method` with `request`: at once when the request is encoded by hand, else once
 * protobuf-es has encoded it (a cancel before then ends the call without sending it).
 */
function startCall(channel: H2Channel, method: ServiceMethod, request: object, options: CallOptions, handlers: CallHandlers): Call {
  let encoded: Uint8Array | Promise<Uint8Array>;
  try {
    encoded = encodeRequest(method.input, request);
  } catch (error) {
    encoded = Promise.reject(error);
  }
  if (!(encoded instanceof Promise)) return channel.call(method.path, frameMessage(encoded), options, handlers);
  let real: Call | undefined;
  let cancelled = false;
  let paused = false;
  encoded.then(
    (bytes) => {
      if (cancelled) return handlers.onEnd(new CallError(Status.CANCELLED, "Cancelled on client"));
      real = channel.call(method.path, frameMessage(bytes), options, handlers);
      if (paused) real.pause();
    },
    (error: unknown) => handlers.onEnd(new CallError(Status.INTERNAL, `cannot encode the request: ${message(error)}`)),
  );
  return {
    cancel: () => (real ? real.cancel() : (cancelled = true)),
    pause: () => (real ? real.pause() : (paused = true)),
    resume: () => (real ? real.resume() : (paused = false)),
  };
}

function unary(channel: H2Channel, method: ServiceMethod) {
  return (request: object, options: CallOptions = {}) =>
    new Promise((resolve, reject) => {
      let answer: Decoded | Promise<Decoded> | undefined;
      let received = 0;
      const call = startCall(channel, method, request, options, {
        onMessage: (bytes) => {
          if (++received > 1) return call.cancel();
          answer = decodeAnswer(method.output, bytes);
          if (!(answer instanceof Promise) && "error" in answer) call.cancel();
        },
        onEnd: (error) => {
          const settle = (decoded: Decoded | undefined) => {
            if (decoded && "error" in decoded) reject(decoded.error);
            else if (received > 1) reject(new CallError(Status.UNIMPLEMENTED, "the agent sent more than one answer to a unary call"));
            else if (error) reject(error);
            else if (!decoded) reject(new CallError(Status.UNIMPLEMENTED, "the agent sent no answer"));
            else resolve(decoded.value);
          };
          if (answer instanceof Promise) void answer.then(settle);
          else settle(answer);
        },
      });
    });
}

function serverStream(channel: H2Channel, method: ServiceMethod) {
  return (request: object, options: CallOptions = {}): AsyncIterable<unknown> => {
    const queue: unknown[] = [];
    let end: { error: CallError | undefined } | undefined;
    let waiter: { resolve(r: IteratorResult<unknown>): void; reject(e: unknown): void } | undefined;
    let paused = false;
    /** Once one answer waits for protobuf-es, the ones after it, and the end, wait behind it. */
    let behind: Promise<void> | undefined;
    const settle = () => {
      if (!waiter) return;
      const { resolve, reject } = waiter;
      if (queue.length > 0) {
        waiter = undefined;
        resolve({ value: queue.shift(), done: false });
      } else if (end) {
        waiter = undefined;
        const error = end.error;
        end.error = undefined; // thrown once; then the iterator is done
        if (error) reject(error);
        else resolve({ value: undefined, done: true });
      }
    };
    const take = (decoded: Decoded) => {
      if (end) return; // the reader stopped, or an earlier answer was not one
      if ("error" in decoded) {
        end = { error: decoded.error };
        call.cancel();
        settle();
        return;
      }
      queue.push(decoded.value);
      if (queue.length >= READ_AHEAD && !paused) {
        paused = true;
        call.pause();
      }
      settle();
    };
    const call = startCall(channel, method, request, options, {
      onMessage: (bytes) => {
        if (behind) {
          behind = behind.then(() => decodeAnswer(method.output, bytes)).then(take);
          return;
        }
        const decoded = decodeAnswer(method.output, bytes);
        if (decoded instanceof Promise) behind = decoded.then(take);
        else take(decoded);
      },
      onEnd: (error) => {
        const finish = () => {
          end ??= { error };
          settle();
        };
        if (behind) void behind.then(finish);
        else finish();
      },
    });
    const iterator: AsyncIterator<unknown> = {
      next: () =>
        new Promise((resolve, reject) => {
          if (waiter) return reject(new Error("a stream is read by one reader at a time"));
          waiter = { resolve, reject };
          settle();
          if (paused && queue.length < READ_AHEAD / 2) {
            paused = false;
            call.resume();
          }
        }),
      // A reader that stops early (break, return, throw in for await) ends the call.
      return: async () => {
        queue.length = 0;
        if (!end) {
          end = { error: undefined };
          call.cancel();
        }
        return { value: undefined, done: true };
      },
    };
    return { [Symbol.asyncIterator]: () => iterator };
  };
}

/** The `methods` as promise calls over `channel`, keyed by each method's local name. */
export function promiseCalls(methods: readonly ServiceMethod[], channel: H2Channel): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const method of methods) out[method.localName] = (method.kind === "unary" ? unary : serverStream)(channel, method);
  return out;
}
