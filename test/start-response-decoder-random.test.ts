// The hand-written StartResponse decoder on random messages (a fixed seed; UNITSYNC_FUZZ_SEED picks
// another): what the agent's hand encoder and protobuf-es's toBinary write decodes by hand to
// fromBinary's object, and the same bytes cut short or changed decode as fromBinary decodes them
// or fail with its error.
import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import test from "ava";
import fc from "fast-check";
import { StartResponseSchema } from "../gen/unitsync/v1/unitsync_pb.js";
import { encodeStartResponse } from "../src/rpc/start-response-encoder.js";
import { sameDecoding } from "./helpers/same-decoding.js";

const SEED = Number(process.env.UNITSYNC_FUZZ_SEED ?? 20_261_202);
const RUNS = 2_000;

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "binary", maxLength: 40 }), fc.constantFrom("", "\ufeffbom", "日本語", "🚀", "x".repeat(200)));
const int32 = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 5 }));
const uint32 = fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 3 }));
const int64 = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: 1_700_000_000n, max: 1_800_000_000n }), fc.constant(0n));
const uint64 = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 53n }), fc.bigInt({ min: 0n, max: 1_000n }));
const optional = <T>(arb: fc.Arbitrary<T>, freq = 1) => fc.oneof({ arbitrary: fc.constant(undefined), weight: freq }, { arbitrary: arb, weight: 1 });
const timestamp = fc.record({ seconds: int64, nanos: int32 });
const texts = (maxLength: number) => fc.array(text, { maxLength });

const unit = fc.record({
  name: text,
  status: int32,
  ready: fc.boolean(),
  dependencies: fc.array(fc.record({ dependsOn: text, required: int32, currentStatus: int32, satisfied: fc.boolean() }), { maxLength: 4 }),
  blocked: optional(fc.record({ failedUnit: text, reason: text, chain: texts(3) }), 4),
  reason: text,
  waiting: fc.boolean(),
  registeredAt: optional(timestamp),
  changedAt: optional(timestamp),
  owner: text,
  attempt: uint32,
  process: optional(fc.record({ phase: int32, pid: uint32, attempt: uint32, maxAttempts: uint32, exitCode: int32, exitReason: text, startedAt: optional(timestamp), checks: fc.array(fc.record({ check: text, passed: fc.boolean(), passedAt: optional(timestamp), lastError: text }), { maxLength: 2 }) }), 4),
  locksHeld: texts(3),
  locksWaiting: texts(3),
});

/** Drops the keys an optional arbitrary left undefined (create() wants them absent). */
const defined = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

const startResponse = fc.oneof(
  fc.constant(create(StartResponseSchema, {})),
  fc.record({ unmet: texts(5), unregistered: texts(3) }).map((value) => create(StartResponseSchema, { event: { case: "waiting", value } })),
  fc.record({ name: text, status: int32, unmet: texts(5) }).map((value) => create(StartResponseSchema, { event: { case: "dependencySatisfied", value } })),
  fc.record({ unit: optional(unit), dependencies: texts(5), waitedMs: uint64 }).map(({ unit: u, ...rest }) => {
    const value: MessageInitShape<typeof StartResponseSchema>["event"] = {
      case: "started",
      value: { ...rest, ...(u ? { unit: { ...defined(u), ...(u.process ? { process: defined(u.process) } : {}) } } : {}) },
    };
    return create(StartResponseSchema, { event: value });
  }),
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
