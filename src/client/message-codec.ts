// A call's messages, encoded and decoded by hand where the hand codecs know them (the verbs a
// start-up script runs), else by protobuf-es, loaded on first need: building its descriptors costs
// a CLI call ~10 ms of start-up, more than the rest of a `complete`'s own work.
import { handDecoders } from "../rpc/answer-decoders.js";
import { handEncoders } from "../rpc/request-encoders.js";
import { CallError } from "./call-error.js";
import { Status } from "./status-codes.js";

type Reflective = typeof import("./reflective-codec.js");
let reflective: Promise<Reflective> | undefined;
const protobufEs = (): Promise<Reflective> => (reflective ??= import("./reflective-codec.js"));

/** The encoding of a request of type `typeName`: at once by hand, else once protobuf-es is loaded. */
export function encodeRequest(typeName: string, request: object): Uint8Array | Promise<Uint8Array> {
  return handEncoders[typeName]?.(request as never) ?? protobufEs().then((p) => p.encode(typeName, request));
}

/** A decoded answer, or the INTERNAL error for bytes that are not one. */
export type Decoded = { value: unknown } | { error: CallError };

const undecodable = (error: unknown): Decoded => ({
  error: new CallError(Status.INTERNAL, `cannot decode the agent's answer: ${error instanceof Error ? error.message : String(error)}`),
});

/**
 * The answer `bytes` encode: at once when read by hand; else (another message, unknown fields,
 * malformed bytes) as protobuf-es reads it, once loaded, with its errors.
 */
export function decodeAnswer(typeName: string, bytes: Uint8Array): Decoded | Promise<Decoded> {
  const hand = handDecoders[typeName];
  if (hand) {
    try {
      return { value: hand(bytes) };
    } catch {
      // protobuf-es keeps unknown fields and names what is malformed
    }
  }
  return protobufEs().then(
    (p) => {
      try {
        return { value: p.decode(typeName, bytes) };
      } catch (error) {
        return undecodable(error);
      }
    },
    (error: unknown) => undecodable(error),
  );
}
