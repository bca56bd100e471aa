// The hand-written StartResponse encoder: the same bytes as protobuf-es's toBinary, and bytes that
// decode to the same message, for edge cases (defaults, multi-byte and unpaired UTF-16, lengths
// past one varint byte, negative and largest numbers, nested Blocked and ProcessState, unknown
// fields) and for random units.
import { create, equals, fromBinary, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import test from "ava";
import fc from "fast-check";
import { type Condition, type StartResponse, StartResponseSchema, type UnitSchema } from "../gen/unitsync/v1/unitsync_pb.js";
import { encodeStartResponse } from "../src/rpc/start-response-encoder.js";

const started = (unit: MessageInitShape<typeof UnitSchema> | undefined, dependencies: string[] = [], waitedMs = 0n) =>
  create(StartResponseSchema, { event: { case: "started", value: { ...(unit ? { unit } : {}), dependencies, waitedMs } } });

function same(t: import("ava").ExecutionContext, message: StartResponse, decodes = true): void {
  const hand = encodeStartResponse(message);
  t.deepEqual(Buffer.from(hand), Buffer.from(toBinary(StartResponseSchema, message)));
  if (decodes) t.true(equals(StartResponseSchema, fromBinary(StartResponseSchema, hand), message));
}

const long = "x".repeat(300); // a length of two varint bytes

const edgeCases: [string, StartResponse, boolean?][] = [
  ["an empty started", started(undefined)],
  ["a unit with every field at its default", started({})],
  ["a typical started unit", started({ name: "web", status: 3, ready: true, dependencies: [{ dependsOn: "db", required: 1, currentStatus: 4, satisfied: true }], waiting: false, owner: "up.sh", attempt: 1, registeredAt: { seconds: 1_764_000_000n, nanos: 123_000_000 }, changedAt: { seconds: 1_764_000_001n, nanos: 0 } }, ["db"], 1_234n)],
  ["multi-byte names", started({ name: "ünït-日本-🚀", reason: "é", owner: "ø" }, ["dép-🚀"])],
  ["long strings and many dependencies", started({ name: long, reason: long, dependencies: Array.from({ length: 40 }, (_, i) => ({ dependsOn: `${long}${i}`, required: 2, currentStatus: 4, satisfied: i % 2 === 0 })), locksHeld: [long, ""], locksWaiting: ["a", long] }, Array.from({ length: 40 }, (_, i) => `${long}${i}`))],
  ["empty strings in repeated fields", started({ locksHeld: [""], locksWaiting: [""] }, [""])],
  ["largest and negative numbers", started({ status: 2 ** 31 - 1, attempt: 2 ** 32 - 1, dependencies: [{ required: -1 as Condition, currentStatus: -(2 ** 31) }], registeredAt: { seconds: -62_135_596_800n, nanos: -1 }, changedAt: { seconds: 253_402_300_799n, nanos: 999_999_999 } }, [], 2n ** 64n - 1n)],
  ["timestamps set to zero", started({ registeredAt: { seconds: 0n, nanos: 0 }, changedAt: {} })],
  ["a blocked unit", started({ name: "a", status: 5, blocked: { failedUnit: "b", reason: "exit 1", chain: ["a", "b"] } })],
  ["a unit with its process", started({ name: "svc", process: { phase: 2, pid: 4_242, attempt: 2, maxAttempts: 3, exitCode: -9, exitReason: "killed", startedAt: { seconds: 5n } } })],
  ["unpaired UTF-16 surrogates", started({ name: "a\ud800b", owner: "\udfff" }, ["\ud83d"]), false],
  ["waiting", create(StartResponseSchema, { event: { case: "waiting", value: { unmet: ["db", "ü", long], unregistered: ["", "db"] } } })],
  ["an empty waiting", create(StartResponseSchema, { event: { case: "waiting", value: {} } })],
  ["dependencySatisfied (encoded by protobuf-es)", create(StartResponseSchema, { event: { case: "dependencySatisfied", value: { name: "db", status: 4, unmet: ["x"] } } })],
  ["no event", create(StartResponseSchema, {})],
];

for (const [name, message, decodes] of edgeCases) {
  test(`encodes ${name} as protobuf-es does`, (t) => same(t, message, decodes ?? true));
}

test("unknown fields anywhere are kept, as protobuf-es keeps them", (t) => {
  const unknown = [{ no: 99, wireType: 0, data: new Uint8Array([0x98, 0x06, 0x07]) }];
  for (const where of ["response", "started", "unit", "dependency", "timestamp"] as const) {
    const message = started({ name: "u", dependencies: [{ dependsOn: "d" }], changedAt: { seconds: 1n } }, ["d"]);
    const value = message.event.value as { unit: { dependencies: object[]; changedAt: object } } & object;
    const target = { response: message, started: value, unit: value.unit, dependency: value.unit.dependencies[0]!, timestamp: value.unit.changedAt }[where];
    (target as { $unknown?: unknown }).$unknown = unknown;
    t.deepEqual(Buffer.from(encodeStartResponse(message)), Buffer.from(toBinary(StartResponseSchema, message)), where);
  }
});

test("random started units encode as protobuf-es encodes them", (t) => {
  const text = fc.string({ unit: "binary", maxLength: 200 });
  const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
  const timestamp = fc.option(fc.record({ seconds: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), nanos: int32 }), { nil: undefined });
  const unit = fc.record({
    name: text,
    status: int32,
    ready: fc.boolean(),
    dependencies: fc.array(fc.record({ dependsOn: text, required: int32, currentStatus: int32, satisfied: fc.boolean() }), { maxLength: 5 }),
    reason: text,
    waiting: fc.boolean(),
    registeredAt: timestamp,
    changedAt: timestamp,
    owner: text,
    attempt: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
    locksHeld: fc.array(text, { maxLength: 3 }),
    locksWaiting: fc.array(text, { maxLength: 3 }),
  });
  fc.assert(
    fc.property(fc.option(unit, { nil: undefined }), fc.array(text, { maxLength: 5 }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), (u, deps, waited) => {
      const clean = u && { ...u, ...(u.registeredAt ? {} : { registeredAt: undefined }), ...(u.changedAt ? {} : { changedAt: undefined }) };
      const message = started(clean, deps, waited);
      t.deepEqual(Buffer.from(encodeStartResponse(message)), Buffer.from(toBinary(StartResponseSchema, message)));
    }),
    { numRuns: 500 },
  );
});
