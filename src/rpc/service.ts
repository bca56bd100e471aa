// The protobuf-es ⇄ grpc-js bridge: a generated service descriptor becomes a grpc-js service
// definition (for the server) and a typed promise client (for callers).
import type { DescMessage, DescMethod, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import * as grpc from "@grpc/grpc-js";
import type { StartResponse } from "../../gen/unitsync/v1/unitsync_pb.js";
import { encodeStartResponse } from "./start-response-encoder.js";

type Methods<S> = S extends GenService<infer M> ? M : never;

/** Server handlers typed from the descriptor: unary calls and server streams. */
export type ServiceHandlers<S extends GenService<GenServiceMethods>> = {
  [K in keyof Methods<S>]: Methods<S>[K] extends { methodKind: "unary"; input: infer I extends DescMessage; output: infer O extends DescMessage }
    ? grpc.handleUnaryCall<MessageShape<I>, MessageShape<O>>
    : Methods<S>[K] extends { methodKind: "server_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
      ? grpc.handleServerStreamingCall<MessageShape<I>, MessageShape<O>>
      : never;
};

export interface CallOptions {
  /** Absolute deadline; undefined means none. */
  deadline?: Date;
  /** Cancels the call when it aborts. */
  signal?: AbortSignal;
}

/** A promise client: unary calls return a promise, server streams an async iterable. */
export type PromiseClient<S extends GenService<GenServiceMethods>> = {
  [K in keyof Methods<S>]: Methods<S>[K] extends { methodKind: "unary"; input: infer I extends DescMessage; output: infer O extends DescMessage }
    ? (request: MessageInitShape<I>, options?: CallOptions) => Promise<MessageShape<O>>
    : Methods<S>[K] extends { methodKind: "server_streaming"; input: infer I extends DescMessage; output: infer O extends DescMessage }
      ? (request: MessageInitShape<I>, options?: CallOptions) => AsyncIterable<MessageShape<O>>
      : never;
};

/** Messages sent unchanged on many streams, with their encoding once it is made. */
const encodedOnce = new WeakMap<object, Buffer | null>();

/** Marks `message` as sent unchanged on many streams: it is encoded on its first send only. */
export function encodeOnce<T extends object>(message: T): T {
  encodedOnce.set(message, null);
  return message;
}

/** Messages encoded by hand, by type name: a fan-out writes one per waiter (start-response-encoder.ts). */
const handEncoded: Record<string, (message: never) => Uint8Array> = {
  "unitsync.v1.StartResponse": (message: StartResponse) => encodeStartResponse(message),
};

/** The binary encoding as a Buffer over the same memory (grpc-js writes Buffers). */
function encode(schema: DescMessage, message: object): Buffer {
  const hand = handEncoded[schema.typeName];
  const bytes = hand ? hand(message as never) : toBinary(schema, message as MessageShape<DescMessage>);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The encoding of a server's response (`encodeOnce` messages once, already encoded bytes as they are). */
export function encodeResponse(schema: DescMessage, message: object): Buffer {
  if (message instanceof Uint8Array) return Buffer.from(message.buffer, message.byteOffset, message.byteLength); // already encoded
  const once = encodedOnce.get(message);
  if (once === undefined) return encode(schema, message);
  if (once !== null) return once;
  const bytes = encode(schema, message);
  encodedOnce.set(message, bytes);
  return bytes;
}

function methodDefinition(service: DescService, method: DescMethod): grpc.MethodDefinition<object, object> {
  return {
    path: `/${service.typeName}/${method.name}`,
    originalName: method.localName,
    requestStream: method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
    responseStream: method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
    // grpc-js writes serializer output straight to the socket and needs a Buffer.
    requestSerialize: (message) => encode(method.input, message),
    requestDeserialize: (bytes: Buffer) => fromBinary(method.input, bytes),
    responseSerialize: (message) => encodeResponse(method.output, message),
    responseDeserialize: (bytes: Buffer) => fromBinary(method.output, bytes),
  };
}

/** The grpc-js service definition of a generated service, keyed by each method's local name. */
export function serviceDefinition(service: DescService): grpc.ServiceDefinition {
  return Object.fromEntries(service.methods.map((m) => [m.localName, methodDefinition(service, m)]));
}

/** A typed promise client for `service` over an existing grpc-js client (channel). */
export function promiseClient<S extends GenService<GenServiceMethods>>(
  service: S,
  client: grpc.Client,
  /** Metadata sent with every call. */
  headers: Record<string, string> = {},
): PromiseClient<S> {
  const out: Record<string, unknown> = {};
  const metadata = () => {
    const m = new grpc.Metadata();
    for (const [key, value] of Object.entries(headers)) m.set(key, value);
    return m;
  };
  const callOptions = (options?: CallOptions): grpc.CallOptions => (options?.deadline ? { deadline: options.deadline } : {});
  for (const method of (service as DescService).methods) {
    const def = methodDefinition(service as DescService, method);
    if (method.methodKind === "unary") {
      out[method.localName] = (request: MessageInitShape<DescMessage>, options?: CallOptions) =>
        new Promise((resolve, reject) => {
          let unlink = () => {};
          const call = client.makeUnaryRequest(
            def.path,
            def.requestSerialize,
            def.responseDeserialize,
            create(method.input, request),
            metadata(),
            callOptions(options),
            (error, response) => {
              unlink();
              if (error) reject(error);
              else resolve(response);
            },
          );
          unlink = linkSignal(options?.signal, () => call.cancel());
        });
    } else if (method.methodKind === "server_streaming") {
      out[method.localName] = (request: MessageInitShape<DescMessage>, options?: CallOptions) => {
        const call = client.makeServerStreamRequest(
          def.path,
          def.requestSerialize,
          def.responseDeserialize,
          create(method.input, request),
          metadata(),
          callOptions(options),
        );
        call.once("status", linkSignal(options?.signal, () => call.cancel()));
        return call;
      };
    }
  }
  return out as PromiseClient<S>;
}

/** Cancels the call when `signal` aborts; returns what unlinks it once the call has ended. */
function linkSignal(signal: AbortSignal | undefined, cancel: () => void): () => void {
  if (!signal) return () => {};
  // grpc-js ignores a cancel that comes before the call reaches its transport (a few microtasks
  // after it is made) and then sends the call anyway, leaving it open on the agent. From the next
  // macrotask on, a cancel always reaches the agent.
  const cancelSoon = () => void setImmediate(cancel);
  if (signal.aborted) cancelSoon();
  else signal.addEventListener("abort", cancelSoon, { once: true });
  return () => signal.removeEventListener("abort", cancelSoon);
}
