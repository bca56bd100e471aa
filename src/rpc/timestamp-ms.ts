// A protobuf Timestamp as milliseconds since the epoch, as protobuf-es's timestampMs computes it.
// Its module also holds timestampNow, which brings google/protobuf/timestamp.proto's descriptor:
// built at load, it would cost every CLI call that reads a time.
import type { Timestamp } from "@bufbuild/protobuf/wkt";

export const timestampMs = (timestamp: Timestamp): number => Number(timestamp.seconds) * 1000 + Math.round(timestamp.nanos / 1_000_000);
