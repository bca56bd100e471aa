// Protobuf Timestamps ⇄ milliseconds since the epoch, as protobuf-es's timestampMs and
// timestampFromMs compute them. Its module also holds timestampNow, which brings
// google/protobuf/timestamp.proto's descriptor: built at load, it would cost every CLI call that
// reads a time; and its timestampFromMs goes through create(), which a fan-out pays per unit.
import { protoInt64 } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";

export const timestampMs = (timestamp: Timestamp): number => Number(timestamp.seconds) * 1000 + Math.round(timestamp.nanos / 1_000_000);

/** The message create(TimestampSchema, …) makes, as a literal. */
export function timestampFromMs(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { $typeName: "google.protobuf.Timestamp", seconds: protoInt64.parse(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}
