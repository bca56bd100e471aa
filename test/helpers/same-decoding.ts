// Checks that the hand-written StartResponse decoder gives what protobuf-es's fromBinary gives:
// the same object (key order included) or the same error.
import { fromBinary } from "@bufbuild/protobuf";
import type { ExecutionContext } from "ava";
import { StartResponseSchema } from "../../gen/unitsync/v1/unitsync_pb.js";
import { decodeStartResponse, decodeStartResponseByHand } from "../../src/rpc/start-response-decoder.js";

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

/**
 * decodeStartResponse(bytes) is fromBinary's object, or throws fromBinary's error. `byHand`:
 * true when the hand decoder must read the bytes itself, false when it must hand them over.
 */
export function sameDecoding(t: ExecutionContext, bytes: Uint8Array, byHand?: boolean, label = ""): void {
  const expected = outcome(() => fromBinary(StartResponseSchema, bytes));
  const actual = outcome(() => decodeStartResponse(bytes));
  t.deepEqual(actual, expected, label);
  if ("value" in expected && "value" in actual) t.deepEqual(shape(actual.value), shape(expected.value), `${label} (key order)`);
  if (byHand === undefined) return;
  const hand = outcome(() => decodeStartResponseByHand(bytes));
  if (byHand) t.deepEqual(hand, expected, `${label} (read by hand)`);
  else t.true("error" in hand, `${label} (handed to protobuf-es)`);
}

/** Bytes joined into one message: protobuf merges a message's fields read one after another. */
export function join(...parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts.map((p) => Buffer.from(p)));
}
