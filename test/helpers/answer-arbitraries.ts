// fast-check arbitraries for the messages the hand decoders read: text with non-ASCII and long
// strings, numbers at their bounds, optional message fields present or absent, and units with
// Blocked and ProcessState (its readiness checks and timestamps) now and then.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import fc from "fast-check";
import { type CompleteResponse, CompleteResponseSchema, type FailResponse, FailResponseSchema, type PingResponse, PingResponseSchema, type UnitSchema, type WantResponse, WantResponseSchema } from "../../gen/unitsync/v1/unitsync_pb.js";

export const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "binary", maxLength: 40 }), fc.constantFrom("", "\ufeffbom", "日本語", "🚀", "x".repeat(200)));
export const int32 = fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.integer({ min: 0, max: 5 }));
export const uint32 = fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 3 }));
export const int64 = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: 1_700_000_000n, max: 1_800_000_000n }), fc.constant(0n));
export const uint64 = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 2n ** 53n }), fc.bigInt({ min: 0n, max: 1_000n }));
/** Undefined `absent` times for `present` times a value. */
export const optional = <T>(arb: fc.Arbitrary<T>, absent = 1, present = 1) =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: absent }, { arbitrary: arb, weight: present });
export const timestamp = fc.record({ seconds: int64, nanos: int32 });
export const texts = (maxLength: number) => fc.array(text, { maxLength });

/** Drops the keys an optional arbitrary left undefined (create() wants them absent). */
export const defined = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

const check = fc.record({ check: text, passed: fc.boolean(), passedAt: optional(timestamp), lastError: text }).map(defined);

const processState = fc
  .record({
    phase: int32,
    pid: uint32,
    attempt: uint32,
    maxAttempts: uint32,
    checks: fc.array(check, { maxLength: 3 }),
    startedAt: optional(timestamp),
    readyAt: optional(timestamp),
    exitedAt: optional(timestamp),
    exitCode: int32,
    exitReason: text,
    retryAt: optional(timestamp),
  })
  .map(defined);

/** A Unit's init shape; `rare` weighs how seldom Blocked and ProcessState appear. */
export const unitInit = (rare = 4): fc.Arbitrary<MessageInitShape<typeof UnitSchema>> =>
  fc
    .record({
      name: text,
      status: int32,
      ready: fc.boolean(),
      dependencies: fc.array(fc.record({ dependsOn: text, required: int32, currentStatus: int32, satisfied: fc.boolean() }), { maxLength: 4 }),
      blocked: optional(fc.record({ failedUnit: text, reason: text, chain: texts(3) }), rare),
      reason: text,
      waiting: fc.boolean(),
      registeredAt: optional(timestamp),
      changedAt: optional(timestamp),
      owner: text,
      attempt: uint32,
      process: optional(processState, rare),
      locksHeld: texts(3),
      locksWaiting: texts(3),
    })
    .map(defined);

const counts = fc
  .record({
    units: uint32,
    waiters: uint32,
    streams: uint32,
    connections: uint32,
    events: uint64,
    droppedEvents: uint64,
    locks: uint32,
    lockHolders: uint32,
    lockRequestsQueued: uint32,
    journalRecords: uint64,
    journalBytes: uint64,
    replayedRecords: uint64,
    startedSent: uint64,
    lastStartedSentAt: optional(timestamp),
  })
  .map(defined);

export const pingResponse: fc.Arbitrary<PingResponse> = fc
  .record({ version: text, protocol: uint32, startedAt: optional(timestamp), uptimeMs: uint64, counts: optional(counts, 1, 3), pid: uint32 })
  .map((init) => create(PingResponseSchema, defined(init)));

export const wantResponse: fc.Arbitrary<WantResponse> = fc.record({ unit: optional(unitInit(1), 1, 3) }).map((init) => create(WantResponseSchema, defined(init)));

export const completeResponse: fc.Arbitrary<CompleteResponse> = fc
  .record({ unit: optional(unitInit(1), 1, 3), changed: fc.boolean() })
  .map((init) => create(CompleteResponseSchema, defined(init)));

export const failResponse: fc.Arbitrary<FailResponse> = fc
  .record({ unit: optional(unitInit(1), 1, 3), changed: fc.boolean(), blocked: texts(4) })
  .map((init) => create(FailResponseSchema, defined(init)));
