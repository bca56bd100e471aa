// The hand-written StartResponse decoder: the object protobuf-es's fromBinary gives (key order
// included) for every event case, defaults, non-ASCII text, the largest numbers, fields repeated
// or out of order; unknown fields and wire types (inside Blocked and ProcessState too) handed to
// protobuf-es; malformed bytes refused with protobuf-es's own error.
import { create, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import test from "ava";
import { type Condition, type StartResponse, StartResponseSchema, type UnitSchema } from "../gen/unitsync/v1/unitsync_pb.js";
import { encodeStartResponse } from "../src/rpc/start-response-encoder.js";
import { decodeStartResponse, join, sameDecoding } from "./helpers/same-decoding.js";

const started = (unit: MessageInitShape<typeof UnitSchema> | undefined, dependencies: string[] = [], waitedMs = 0n) =>
  create(StartResponseSchema, { event: { case: "started", value: { ...(unit ? { unit } : {}), dependencies, waitedMs } } });
const bytesOf = (message: StartResponse) => toBinary(StartResponseSchema, message);

const long = "x".repeat(300); // a length of two varint bytes
const everyField = {
  name: "web",
  status: 3,
  ready: true,
  dependencies: [
    { dependsOn: "db", required: 1, currentStatus: 4, satisfied: true },
    { dependsOn: "cache", required: 3, currentStatus: 5, satisfied: false },
  ],
  reason: "why",
  waiting: true,
  registeredAt: { seconds: 1_764_000_000n, nanos: 123_000_000 },
  changedAt: { seconds: 1_764_000_001n, nanos: 1 },
  owner: "up.sh",
  attempt: 2,
  locksHeld: ["dpkg", "net"],
  locksWaiting: ["gpu"],
} satisfies MessageInitShape<typeof UnitSchema>;

const cases: [string, StartResponse][] = [
  ["no event", create(StartResponseSchema, {})],
  ["an empty waiting", create(StartResponseSchema, { event: { case: "waiting", value: {} } })],
  ["waiting with every field", create(StartResponseSchema, { event: { case: "waiting", value: { unmet: ["db", "ü", long, ""], unregistered: ["", "db"] } } })],
  ["an empty dependencySatisfied", create(StartResponseSchema, { event: { case: "dependencySatisfied", value: {} } })],
  ["dependencySatisfied with every field", create(StartResponseSchema, { event: { case: "dependencySatisfied", value: { name: "db", status: 4, unmet: ["x", "日本"] } } })],
  ["an empty started", started(undefined)],
  ["a unit with every field at its default", started({})],
  ["a started unit with every field", started(everyField, ["db", "cache"], 1_234n)],
  ["multi-byte and astral names", started({ name: "ünït-日本-🚀", reason: "é", owner: "ø", locksHeld: ["🔒"] }, ["dép-🚀"])],
  ["a leading byte-order mark", started({ name: "\ufeffname", owner: "\ufeff" }, ["\ufeffx"])],
  ["long strings and many dependencies", started({ name: long, dependencies: Array.from({ length: 40 }, (_, i) => ({ dependsOn: `${long}${i}`, satisfied: i % 2 === 0 })) }, Array.from({ length: 200 }, (_, i) => `d${i}`))],
  ["empty strings in repeated fields", started({ locksHeld: [""], locksWaiting: [""] }, [""])],
  ["largest and negative numbers", started({ status: 2 ** 31 - 1, attempt: 2 ** 32 - 1, dependencies: [{ required: -1 as Condition, currentStatus: -(2 ** 31) }], registeredAt: { seconds: -(2n ** 63n), nanos: -1 }, changedAt: { seconds: 2n ** 63n - 1n, nanos: 999_999_999 } }, [], 2n ** 64n - 1n)],
  ["numbers around 2^49 and 2^53", started({ registeredAt: { seconds: 2n ** 49n - 1n }, changedAt: { seconds: 2n ** 49n } }, [], 2n ** 53n + 1n)],
  ["timestamps set to zero", started({ registeredAt: { seconds: 0n, nanos: 0 }, changedAt: {} })],
  ["a blocked unit", started({ name: "a", status: 5, blocked: { failedUnit: "b", reason: "exit 1", chain: ["a", "b"] } })],
  ["a unit with its process", started({ name: "svc", process: { phase: 2, pid: 4_242, attempt: 2, maxAttempts: 3, exitCode: -9, exitReason: "killed", startedAt: { seconds: 5n }, checks: [{ check: "tcp:1", passed: true, passedAt: { nanos: 3 } }] } })],
];

for (const [name, message] of cases) {
  test(`decodes ${name} as fromBinary does, by hand`, (t) => {
    sameDecoding(t, bytesOf(message), true);
    sameDecoding(t, encodeStartResponse(message), true, "from the hand encoder");
  });
}

test("a started unit decodes to the message that was encoded", (t) => {
  const message = started(everyField, ["db", "cache"], 1_234n);
  t.deepEqual(decodeStartResponse(encodeStartResponse(message)), message);
});

test("fields repeated, out of order or encoded at length are read as protobuf-es reads them", (t) => {
  const a = started({ name: "a", dependencies: [{ dependsOn: "x" }], registeredAt: { seconds: 1n }, blocked: { chain: ["a"] }, process: { pid: 1 } }, ["x"], 5n);
  const b = started({ status: 3, dependencies: [{ dependsOn: "y" }], registeredAt: { nanos: 2 }, blocked: { chain: ["b"] }, process: { attempt: 2 } }, ["y"]);
  const waiting = create(StartResponseSchema, { event: { case: "waiting", value: { unmet: ["w"] } } });
  const satisfied = create(StartResponseSchema, { event: { case: "dependencySatisfied", value: { name: "s", unmet: ["u"] } } });
  // A message read twice merges: scalars overwritten, lists appended, nested messages merged.
  sameDecoding(t, join(bytesOf(a), bytesOf(b)), true, "started twice");
  sameDecoding(t, join(bytesOf(waiting), bytesOf(waiting)), true, "waiting twice");
  sameDecoding(t, join(bytesOf(satisfied), bytesOf(satisfied)), true, "dependencySatisfied twice");
  // Another member of the oneof replaces the one before.
  sameDecoding(t, join(bytesOf(waiting), bytesOf(a)), true, "waiting then started");
  sameDecoding(t, join(bytesOf(a), bytesOf(satisfied), bytesOf(waiting)), true, "started, satisfied, waiting");
  // Started { waited_ms = 7 (a 10-byte varint), unit { attempt = 1 (2 bytes), name = "n" }, waited_ms = 9 }
  const inner = [0x18, 0x87, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00, 0x0a, 0x06, 0x58, 0x81, 0x00, 0x0a, 0x01, 0x6e, 0x18, 0x09];
  sameDecoding(t, Buffer.from([0x1a, inner.length, ...inner]), true, "out of order, non-minimal varints");
  // bool fields as varints other than 0 and 1: any set bit is true, as protobuf-es reads them.
  for (const bool of [[0x02], [0x80, 0x00], [0x80, 0x01], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02]]) {
    const unit = [0x18, ...bool];
    sameDecoding(t, Buffer.from([0x1a, unit.length + 2, 0x0a, unit.length, ...unit]), true, `ready = ${bool}`);
  }
  // Lengths and tags encoded in more bytes than they need.
  sameDecoding(t, Buffer.from([0x9a, 0x00, 0x83, 0x80, 0x00, 0x12, 0x01, 0x64]), true, "a two-byte tag, a three-byte length");
});

test("unknown fields anywhere go to protobuf-es, which keeps them", (t) => {
  const unknown = [{ no: 99, wireType: 0, data: new Uint8Array([0x98, 0x06]) }, { no: 16, wireType: 2, data: new Uint8Array([0x01, 0x61]) }];
  const where = ["response", "started", "unit", "dependency", "timestamp", "waiting", "dependencySatisfied", "blocked", "process"] as const;
  for (const place of where) {
    const message =
      place === "waiting"
        ? create(StartResponseSchema, { event: { case: "waiting", value: { unmet: ["a"] } } })
        : place === "dependencySatisfied"
          ? create(StartResponseSchema, { event: { case: "dependencySatisfied", value: { name: "a" } } })
          : started({ name: "u", dependencies: [{ dependsOn: "d" }], changedAt: { seconds: 1n }, blocked: { chain: ["u"] }, process: { pid: 1 } }, ["d"]);
    const value = message.event.value as { unit?: { dependencies: object[]; changedAt: object; blocked: object; process: object } } & object;
    const targets: Record<(typeof where)[number], object | undefined> = {
      response: message,
      started: value,
      waiting: value,
      dependencySatisfied: value,
      unit: value.unit,
      dependency: value.unit?.dependencies[0],
      timestamp: value.unit?.changedAt,
      blocked: value.unit?.blocked,
      process: value.unit?.process,
    };
    (targets[place] as { $unknown?: unknown }).$unknown = unknown;
    const bytes = bytesOf(message);
    sameDecoding(t, bytes, false, place);
    t.deepEqual(decodeStartResponse(bytes), message, `${place}: the unknown fields are kept`);
  }
});

test("a known field in a wire type other than its own goes to protobuf-es", (t) => {
  // Unit.name (a string) as a varint; Started.waited_ms as 8 fixed bytes; Waiting.unmet as a varint.
  sameDecoding(t, Buffer.from([0x1a, 0x04, 0x0a, 0x02, 0x08, 0x01]), false, "name as a varint");
  sameDecoding(t, Buffer.from([0x1a, 0x09, 0x19, 1, 0, 0, 0, 0, 0, 0, 0]), false, "waited_ms as fixed64");
  sameDecoding(t, Buffer.from([0x0a, 0x02, 0x08, 0x05]), false, "unmet as a varint");
  // A group (wire types 3 and 4) where the oneof is.
  sameDecoding(t, Buffer.from([0x1b, 0x1c]), false, "started as a group");
});

test("malformed bytes give protobuf-es's error, never a message", (t) => {
  const malformed: [string, number[]][] = [
    ["a tag and nothing after it", [0x1a]],
    ["a truncated length varint", [0x1a, 0x80]],
    ["a length past the end", [0x1a, 0x05, 0x0a]],
    ["a nested length past the end", [0x1a, 0x03, 0x0a, 0x05, 0x0a]],
    ["a truncated waited_ms", [0x1a, 0x02, 0x18, 0x80]],
    ["a truncated timestamp", [0x1a, 0x05, 0x0a, 0x03, 0x42, 0x01, 0x08]],
    ["a varint of 11 bytes", [0x1a, 0x0c, 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ["field number 0", [0x02, 0x00]],
    ["wire type 7", [0x1f]],
    ["a tag over 32 bits", [0x9a, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00]],
    ["a tag of 5 bytes over 32 bits", [0x9a, 0x80, 0x80, 0x80, 0x10, 0x00]],
    ["invalid UTF-8", [0x1a, 0x03, 0x12, 0x01, 0xff]],
    ["a lone surrogate's UTF-8 bytes", [0x0a, 0x05, 0x0a, 0x03, 0xed, 0xa0, 0x80]],
  ];
  for (const [name, bytes] of malformed) {
    sameDecoding(t, Buffer.from(bytes), false, name);
    t.throws(() => decodeStartResponse(Buffer.from(bytes)), undefined, name);
  }
});

test("a nested message that claims fewer bytes than its fields take reads as protobuf-es reads it", (t) => {
  // Started of length 2 whose dependency string runs 5 bytes on: protobuf-es reads on past the
  // end it was given, and so does the answer here (it is protobuf-es's).
  sameDecoding(t, Buffer.from([0x1a, 0x02, 0x12, 0x05, 0x61, 0x62, 0x63, 0x64, 0x65]), false, "over-long field inside");
  sameDecoding(t, Buffer.from([0x1a, 0x02, 0x0a, 0x02, 0x0a, 0x00]), false, "unit past started's end");
});

test("bytes inside a larger buffer are read from their own offset", (t) => {
  const message = started(everyField, ["db"], 3n);
  const inner = bytesOf(message);
  const outer = Buffer.concat([Buffer.from([0xff, 0xff, 0xff]), Buffer.from(inner), Buffer.from([0x1a, 0x05])]);
  const view = outer.subarray(3, 3 + inner.length);
  sameDecoding(t, view, true, "a Buffer view");
  sameDecoding(t, new Uint8Array(outer.buffer, outer.byteOffset + 3, inner.length), true, "a Uint8Array view");
});
