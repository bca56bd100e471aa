// A generated service descriptor over an H2Channel: unary methods return a promise, server streams
// an async iterable that reads at the caller's pace (the stream pauses while messages wait).
import type { DescMessage, DescMethod, DescService, MessageInitShape } from "@bufbuild/protobuf";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { StartResponseSchema } from "../../gen/unitsync/v1/unitsync_pb.js";
import { decodeStartResponseByHand } from "../rpc/start-response-decoder.js";
import { CallError } from "./call-error.js";
import { frameMessage } from "./grpc-frames.js";
import type { CallOptions, H2Channel } from "./h2-channel.js";
import { Status } from "./status-codes.js";

/** Messages read ahead of the caller before the stream pauses. */
const READ_AHEAD = 16;

type Request = MessageInitShape<DescMessage>;

const requestBody = (method: DescMethod, request: Request) => frameMessage(toBinary(method.input, create(method.input, request)));

/** Messages decoded by hand, by type name: a fan-out wakes thousands of Starts (start-response-decoder.ts). */
const handDecoded: Record<string, (bytes: Uint8Array) => unknown> = {
  "unitsync.v1.StartResponse": (bytes) => {
    try {
      return decodeStartResponseByHand(bytes);
    } catch {
      return fromBinary(StartResponseSchema, bytes);
    }
  },
};

/** The decoded answer, or an INTERNAL error for bytes that are not one. */
function decode(method: DescMethod, bytes: Uint8Array): { value: unknown } | { error: CallError } {
  try {
    const hand = handDecoded[method.output.typeName];
    return { value: hand ? hand(bytes) : fromBinary(method.output, bytes) };
  } catch (error) {
    return { error: new CallError(Status.INTERNAL, `cannot decode the agent's answer: ${error instanceof Error ? error.message : String(error)}`) };
  }
}

function unary(channel: H2Channel, path: string, method: DescMethod) {
  return (request: Request, options: CallOptions = {}) =>
    new Promise((resolve, reject) => {
      let answer: { value: unknown } | { error: CallError } | undefined;
      let received = 0;
      const call = channel.call(path, requestBody(method, request), options, {
        onMessage: (bytes) => {
          if (++received > 1) return call.cancel();
          answer = decode(method, bytes);
          if ("error" in answer) call.cancel();
        },
        onEnd: (error) => {
          if (answer && "error" in answer) reject(answer.error);
          else if (received > 1) reject(new CallError(Status.UNIMPLEMENTED, "the agent sent more than one answer to a unary call"));
          else if (error) reject(error);
          else if (!answer) reject(new CallError(Status.UNIMPLEMENTED, "the agent sent no answer"));
          else resolve(answer.value);
        },
      });
    });
}

function serverStream(channel: H2Channel, path: string, method: DescMethod) {
  return (request: Request, options: CallOptions = {}): AsyncIterable<unknown> => {
    const queue: unknown[] = [];
    let end: { error: CallError | undefined } | undefined;
    let waiter: { resolve(r: IteratorResult<unknown>): void; reject(e: unknown): void } | undefined;
    let paused = false;
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
    const call = channel.call(path, requestBody(method, request), options, {
      onMessage: (bytes) => {
        const answer = decode(method, bytes);
        if ("error" in answer) {
          end ??= { error: answer.error };
          call.cancel();
          return;
        }
        queue.push(answer.value);
        if (queue.length >= READ_AHEAD && !paused) {
          paused = true;
          call.pause();
        }
        settle();
      },
      onEnd: (error) => {
        end ??= { error };
        settle();
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

/** The methods of `service` as promise calls over `channel`, keyed by each method's local name. */
export function promiseCalls(service: DescService, channel: H2Channel): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const method of service.methods) {
    const path = `/${service.typeName}/${method.name}`;
    if (method.methodKind === "unary") out[method.localName] = unary(channel, path, method);
    else if (method.methodKind === "server_streaming") out[method.localName] = serverStream(channel, path, method);
  }
  return out;
}
