// Checks that a hand-written decoder gives what protobuf-es's fromBinary gives: the same object
// (key order included) or, through the fallback to fromBinary, the same error.
import { type DescMessage, fromBinary, type MessageShape } from "@bufbuild/protobuf";
import type { ExecutionContext } from "ava";
import { StartResponseSchema } from "../../gen/unitsync/v1/unitsync_pb.js";
import { decodeStartResponseByHand } from "../../src/rpc/start-response-decoder.js";
import { WireShape } from "../../src/rpc/wire-reader.js";

/** An object's keys in order, all the way down (values' types too), for comparing shapes. */
export function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value instanceof Uint8Array) return ["bytes", value.length];
  if (value !== null && typeof value === "object") return Object.entries(value).map(([k, v]) => [k, shape(v)]);
  return typeof value;
}

function outcome(decode: () => unknown): { value: unknown } | { error: string } {
  try {
    return { value: decode() };
  } catch (error) {
    return { error: error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error) };
  }
}

type ByHand<D extends DescMessage> = (bytes: Uint8Array) => MessageShape<D>;

/** The hand decoder, else protobuf-es for bytes it does not read (WireShape; any other error is a bug). */
export function handOrProtobufEs<D extends DescMessage>(schema: D, byHand: ByHand<D>): ByHand<D> {
  return (bytes) => {
    try {
      return byHand(bytes);
    } catch (error) {
      if (!(error instanceof WireShape)) throw error;
      return fromBinary(schema, bytes);
    }
  };
}

/** StartResponse read by hand, else by protobuf-es: fromBinary's object, or its error. */
export const decodeStartResponse = handOrProtobufEs(StartResponseSchema, decodeStartResponseByHand);

export type SameDecoding = (t: ExecutionContext, bytes: Uint8Array, byHand?: boolean, label?: string) => void;

/**
 * A check that `byHand`, with the fallback to fromBinary, gives fromBinary's object or throws
 * fromBinary's error. The check's `byHand`: true when the hand decoder must read the bytes itself
 * (to the same object), false when it must throw; undefined when either will do.
 */
export function sameDecodingOf<D extends DescMessage>(schema: D, byHand: ByHand<D>): SameDecoding {
  const decode = handOrProtobufEs(schema, byHand);
  return (t, bytes, readByHand, label = "") => {
    const expected = outcome(() => fromBinary(schema, bytes));
    const actual = outcome(() => decode(bytes));
    t.deepEqual(actual, expected, label);
    if ("value" in expected && "value" in actual) t.deepEqual(shape(actual.value), shape(expected.value), `${label} (key order)`);
    if (readByHand === undefined) return;
    const hand = outcome(() => byHand(bytes));
    if (readByHand) {
      t.deepEqual(hand, expected, `${label} (read by hand)`);
      if ("value" in hand && "value" in expected) t.deepEqual(shape(hand.value), shape(expected.value), `${label} (read by hand, key order)`);
    } else t.true("error" in hand && hand.error.startsWith("WireShape"), `${label} (handed to protobuf-es)`);
  };
}

/** The StartResponse check (see sameDecodingOf). */
export const sameDecoding = sameDecodingOf(StartResponseSchema, decodeStartResponseByHand);

/** Bytes joined into one message: protobuf merges a message's fields read one after another. */
export function join(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.map((p) => Buffer.from(p)));
}
