// The hot verbs' answers decoded by hand (ping, want, complete, fail) on random messages (a fixed
// seed; UNITSYNC_FUZZ_SEED picks another): what toBinary writes decodes by hand to fromBinary's
// object, key order included, Blocked and ProcessState inside units too; the same bytes cut short,
// changed or with a field this client does not know give fromBinary's object or its error.
import { type DescMessage, type MessageShape, toBinary } from "@bufbuild/protobuf";
import test from "ava";
import fc from "fast-check";
import { CompleteResponseSchema, FailResponseSchema, PingResponseSchema, WantResponseSchema } from "../gen/unitsync/v1/unitsync_pb.js";
import {
  decodeCompleteResponseByHand,
  decodeFailResponseByHand,
  decodePingResponseByHand,
  decodeWantResponseByHand,
  handDecoders,
} from "../src/rpc/answer-decoders.js";
import { completeResponse, failResponse, pingResponse, wantResponse } from "./helpers/answer-arbitraries.js";
import { join, sameDecodingOf } from "./helpers/same-decoding.js";

const SEED = Number(process.env.UNITSYNC_FUZZ_SEED ?? 20_261_202);
const RUNS = 500;

interface Case {
  schema: DescMessage;
  byHand: (bytes: Uint8Array) => unknown;
  messages: fc.Arbitrary<unknown>;
}

const cases: Case[] = [
  { schema: PingResponseSchema, byHand: decodePingResponseByHand, messages: pingResponse },
  { schema: WantResponseSchema, byHand: decodeWantResponseByHand, messages: wantResponse },
  { schema: CompleteResponseSchema, byHand: decodeCompleteResponseByHand, messages: completeResponse },
  { schema: FailResponseSchema, byHand: decodeFailResponseByHand, messages: failResponse },
];

/** A varint field numbered 99: a field this client does not know. */
const UNKNOWN_FIELD = new Uint8Array([0x98, 0x06, 0x01]);

for (const { schema, byHand, messages } of cases) {
  const same = sameDecodingOf(schema, byHand as (bytes: Uint8Array) => MessageShape<DescMessage>);
  const bytesOf = (message: unknown) => toBinary(schema, message as MessageShape<DescMessage>);

  test(`${schema.typeName}: toBinary's bytes decode by hand to fromBinary's object`, (t) => {
    fc.assert(
      fc.property(messages, (message) => same(t, bytesOf(message), true)),
      { seed: SEED, numRuns: RUNS },
    );
  });

  test(`${schema.typeName}: a message sent in two parts merges as protobuf-es merges it`, (t) => {
    fc.assert(
      fc.property(messages, messages, (a, b) => same(t, join(bytesOf(a), bytesOf(b)), true)),
      { seed: SEED, numRuns: RUNS / 5 },
    );
  });

  test(`${schema.typeName}: cut, changed or extended bytes give fromBinary's object or its error`, (t) => {
    fc.assert(
      fc.property(messages, fc.nat(), fc.nat(255), (message, at, value) => {
        const bytes = bytesOf(message);
        same(t, bytes.subarray(0, bytes.length === 0 ? 0 : at % bytes.length));
        if (bytes.length > 0) {
          const changed = Uint8Array.from(bytes);
          changed[at % bytes.length] = value;
          same(t, changed);
        }
        same(t, join(bytes, UNKNOWN_FIELD), false);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  test(`${schema.typeName}: the table of hand decoders holds it`, (t) => {
    t.is(handDecoders[schema.typeName], byHand);
  });
}

test("the table of hand decoders holds the five answers of the hot verbs and no other message", (t) => {
  t.deepEqual(Object.keys(handDecoders).sort(), [
    "unitsync.v1.CompleteResponse",
    "unitsync.v1.FailResponse",
    "unitsync.v1.PingResponse",
    "unitsync.v1.StartResponse",
    "unitsync.v1.WantResponse",
  ]);
});
