// The hot verbs' requests encoded without descriptors: the bytes protobuf-es's
// toBinary(create(schema, request)) writes, for random requests (a fixed seed).
import { create, type DescMessage, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import test from "ava";
import fc from "fast-check";
import {
  CompleteRequestSchema,
  FailRequestSchema,
  ListUnitsRequestSchema,
  PingRequestSchema,
  StartRequestSchema,
  WantRequestSchema,
} from "../gen/unitsync/v1/unitsync_pb.js";
import { handEncoders } from "../src/rpc/request-encoders.js";

const SEED = Number(process.env.UNITSYNC_FUZZ_SEED ?? 20_261_202);
const text = fc.option(fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: "binary", maxLength: 40 }), fc.constantFrom("", "日本語", "🚀", "\ud800lone")), { nil: undefined });
const condition = fc.option(fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })), { nil: undefined });
/** Without the keys fast-check left undefined, as a caller writes a request. */
const defined = <T extends object>(arb: fc.Arbitrary<T>) => arb.map((o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T);

const cases: [DescMessage, fc.Arbitrary<object>][] = [
  [PingRequestSchema, fc.constant({})],
  [WantRequestSchema, defined(fc.record({ unit: text, dependsOn: fc.option(fc.array(fc.string({ maxLength: 8 }), { maxLength: 5 }), { nil: undefined }), condition }))],
  [StartRequestSchema, defined(fc.record({ unit: text, startId: text }))],
  [CompleteRequestSchema, defined(fc.record({ unit: text }))],
  [FailRequestSchema, defined(fc.record({ unit: text, reason: text }))],
];

for (const [schema, requests] of cases) {
  test(`${schema.typeName}: the bytes toBinary writes`, (t) => {
    const encode = handEncoders[schema.typeName]!;
    fc.assert(
      fc.property(requests, (request) => {
        const expected = toBinary(schema, create(schema, request as MessageInitShape<DescMessage>));
        t.deepEqual(Buffer.from(encode(request as never)!), Buffer.from(expected));
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
}

test("a whole message from create() encodes as toBinary encodes it", (t) => {
  const want = create(WantRequestSchema, { unit: "ide", dependsOn: ["git-clone", "env"], condition: 2 });
  t.deepEqual(Buffer.from(handEncoders[WantRequestSchema.typeName]!(want as never)!), Buffer.from(toBinary(WantRequestSchema, want)));
});

test("a request with unknown fields, and a request of another method, are left to protobuf-es", (t) => {
  const withUnknown = { unit: "x", $unknown: [{ no: 99, wireType: 0, data: new Uint8Array([1]) }] };
  t.is(handEncoders[CompleteRequestSchema.typeName]!(withUnknown as never), undefined);
  t.is(handEncoders[ListUnitsRequestSchema.typeName], undefined);
});
