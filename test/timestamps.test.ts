// Timestamps ⇄ milliseconds without protobuf-es's timestamp module: the same values and messages.
import * as wkt from "@bufbuild/protobuf/wkt";
import test from "ava";
import fc from "fast-check";
import { timestampFromMs, timestampMs } from "../src/rpc/timestamps.js";

const SEED = Number(process.env.UNITSYNC_FUZZ_SEED ?? 20_261_202);
const millis = fc.oneof(fc.integer({ min: -(2 ** 45), max: 2 ** 45 }), fc.constantFrom(0, -1, 999, 1_000, 1_764_000_000_123));

test("timestampFromMs makes the message protobuf-es's makes, key order included, and timestampMs reads it back", (t) => {
  fc.assert(
    fc.property(millis, (ms) => {
      const ours = timestampFromMs(ms);
      const theirs = wkt.timestampFromMs(ms);
      t.deepEqual(ours, theirs);
      t.deepEqual(Object.keys(ours), Object.keys(theirs));
      t.is(timestampMs(ours), wkt.timestampMs(theirs));
      t.is(timestampMs(ours), ms);
    }),
    { seed: SEED, numRuns: 1_000 },
  );
});

test("timestampMs rounds nanoseconds as protobuf-es does", (t) => {
  for (const nanos of [0, 499_999, 500_000, 999_999_999, -500_000]) {
    const ts = { $typeName: "google.protobuf.Timestamp" as const, seconds: 12n, nanos };
    t.is(timestampMs(ts), wkt.timestampMs(ts));
  }
});
