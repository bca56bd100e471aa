// Bounded memory per server stream: counts the bytes written but not yet taken by HTTP/2 (the
// client's flow control), and ends a stream whose client fell too far behind with RESOURCE_EXHAUSTED.
// The bytes and the end go to grpc-js through the agent's outbox (outbox.ts); everything above
// this layer (the journal, the start_id table) sees each message at the moment it is sent.
import type { DescMessage, DescService } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import { FellBehind } from "../core/errors.js";
import { encodeResponse } from "../rpc/service.js";
import { toServiceError } from "../rpc/status.js";
import type { Outbox } from "./outbox.js";

/** Bytes one stream may have queued towards a client that does not read before it is ended. */
export const DEFAULT_MAX_STREAM_BYTES = 4 * 1024 * 1024;

type AnyHandler = (...args: never[]) => unknown;

/**
 * Wraps every server-streaming handler of `service` so that each message is serialized once when
 * written, its bytes counted until grpc-js has handed them to HTTP/2, and, once more than
 * `maxBytes` wait, the stream ends with FellBehind: later writes are dropped, the handler sees the
 * call cancelled (its waits and subscriptions end), and at most `maxBytes` stay queued until the
 * client reads them or its connection goes.
 */
export function withStreamBudget<H extends Record<string, unknown>>(
  service: DescService,
  handlers: H,
  maxBytes: number,
  outbox: Outbox,
  logError: (error: unknown) => void,
  log: (line: string) => void = () => {},
): H {
  const out: Record<string, unknown> = { ...handlers };
  for (const method of service.methods) {
    if (method.methodKind !== "server_streaming") continue;
    const handler = handlers[method.localName] as AnyHandler | undefined;
    if (!handler) continue;
    out[method.localName] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
      budget(call, method.output, maxBytes, method.name, outbox, logError, log);
      return (handler as (call: grpc.ServerWritableStream<unknown, unknown>) => unknown)(call);
    };
  }
  return out as H;
}

function budget(
  call: grpc.ServerWritableStream<unknown, unknown>,
  output: DescMessage,
  maxBytes: number,
  what: string,
  outbox: Outbox,
  logError: (error: unknown) => void,
  log: (line: string) => void,
): void {
  let queued = 0;
  let overflowed = false;
  const write = call.write.bind(call) as (chunk: unknown, callback?: (error?: Error | null) => void) => boolean;
  const patched = (message: unknown, callback?: (error?: Error | null) => void): boolean => {
    if (overflowed) return false;
    // A message sent unchanged on many streams (encodeOnce) is encoded on its first send only.
    const bytes = encodeResponse(output, message as object);
    if (queued + bytes.length > maxBytes && queued > 0) {
      overflowed = true;
      const error = new FellBehind(what === "Watch" ? "watch" : what, queued, maxBytes);
      log(`ended a ${what} stream: ${error.message}`);
      outbox.run(() => call.emit("error", toServiceError(error, logError)));
      // The handler's own cancel path frees its subscription or wait; the error above is the status.
      call.emit("cancelled", error);
      return false;
    }
    queued += bytes.length;
    outbox.run(() => {
      if (call.cancelled) {
        queued -= bytes.length; // the client is gone: nothing to hand to HTTP/2
        return;
      }
      write(bytes, (error) => {
        queued -= bytes.length;
        callback?.(error);
      });
    });
    return true;
  };
  (call as { write: unknown }).write = patched;
  const end = call.end.bind(call) as (...args: unknown[]) => void;
  (call as { end: unknown }).end = (...args: unknown[]) => {
    outbox.run(() => end(...args));
    return call;
  };
}
