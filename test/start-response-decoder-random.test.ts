// The hand-written StartResponse decoder on random messages (a fixed seed; UNITSYNC_FUZZ_SEED picks
// another): what the agent's hand encoder and protobuf-es's toBinary write decodes by hand to
// fromBinary's object, and the same bytes cut short or changed decode as fromBinary decodes them
// or fail with its error.
import { create, toBinary } from "@bufbuild/protobuf";
import test from "ava";
import fc from "fast-check";
import { StartResponseSchema } from "../gen/unitsync/v1/unitsync_pb.js";
import { encodeStartResponse } from "../src/rpc/start-response-encoder.js";
import { defined, int32, optional, text, texts, uint64, unitInit } from "./helpers/answer-arbitraries.js";
import { sameDecoding } from "./helpers/same-decoding.js";

const SEED = Number(process.env.UNITSYNC_FUZZ_SEED ?? 20_261_202);
const RUNS = 2_000;

const startResponse = fc.oneof(
  fc.constant(create(StartResponseSchema, {})),
  fc.record({ unmet: texts(5), unregistered: texts(3) }).map((value) => create(StartResponseSchema, { event: { case: "waiting", value } })),
  fc.record({ name: text, status: int32, unmet: texts(5) }).map((value) => create(StartResponseSchema, { event: { case: "dependencySatisfied", value } })),
  fc
    .record({ unit: optional(unitInit()), dependencies: texts(5), waitedMs: uint64 })
    .map((value) => create(StartResponseSchema, { event: { case: "started", value: defined(value) } })),
);

test("what the hand encoder writes is read by hand to fromBinary's object", (t) => {
  fc.assert(
    fc.property(startResponse, (message) => sameDecoding(t, encodeStartResponse(message), true)),
    { numRuns: RUNS, seed: SEED },
  );
});

test("what protobuf-es's toBinary writes is read by hand to fromBinary's object", (t) => {
  fc.assert(
    fc.property(startResponse, (message) => sameDecoding(t, toBinary(StartResponseSchema, message), true)),
    { numRuns: RUNS, seed: SEED + 1 },
  );
});

test("bytes cut short, changed or lengthened decode as fromBinary decodes them, or fail as it fails", (t) => {
  const mutation = fc.record({ kind: fc.constantFrom("cut", "set", "insert", "drop"), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) });
  fc.assert(
    fc.property(startResponse, fc.array(mutation, { minLength: 1, maxLength: 3 }), (message, mutations) => {
      let bytes = Buffer.from(toBinary(StartResponseSchema, message));
      for (const { kind, at, byte } of mutations) {
        const i = bytes.length === 0 ? 0 : at % bytes.length;
        if (kind === "cut") bytes = bytes.subarray(0, i);
        else if (kind === "set" && bytes.length > 0) bytes[i] = byte;
        else if (kind === "insert") bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([byte]), bytes.subarray(i)]);
        else if (kind === "drop") bytes = Buffer.concat([bytes.subarray(0, i), bytes.subarray(i + 1)]);
      }
      sameDecoding(t, bytes);
    }),
    { numRuns: RUNS + 1_000, seed: SEED + 2 },
  );
});
