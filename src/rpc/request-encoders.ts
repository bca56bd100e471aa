// The requests of the verbs a start-up script runs (ping, want, start, complete, fail) encoded
// without protobuf-es's descriptors: the bytes toBinary(create(schema, request)) writes, through
// the same BinaryWriter. Other requests, and one carrying unknown fields, return undefined: the
// client encodes those with protobuf-es (client/reflective-codec.ts).
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  CompleteRequestSchema,
  FailRequestSchema,
  StartRequestSchema,
  WantRequestSchema,
} from "../../gen/unitsync/v1/unitsync_pb.js";

/** A string field: proto3 leaves an empty one out. */
function text(w: BinaryWriter, field: number, value: string | undefined): void {
  if (value) w.tag(field, WireType.LengthDelimited).string(value);
}

function texts(w: BinaryWriter, field: number, values: readonly string[] | undefined): void {
  for (const value of values ?? []) w.tag(field, WireType.LengthDelimited).string(value);
}

function enumeration(w: BinaryWriter, field: number, value: number | undefined): void {
  if (value) w.tag(field, WireType.Varint).int32(value);
}

/** Writes a message with `write`, or gives undefined for one whose unknown fields protobuf-es must write. */
const encoder =
  <T extends object>(write: (w: BinaryWriter, request: T) => void) =>
  (request: T): Uint8Array | undefined => {
    if ("$unknown" in request && request.$unknown !== undefined) return undefined;
    const w = new BinaryWriter();
    write(w, request);
    return w.finish();
  };

/** By full type name: the request's encoding, or undefined for protobuf-es to write. */
export const handEncoders: Record<string, (request: never) => Uint8Array | undefined> = {
  "unitsync.v1.PingRequest": encoder(() => {}),
  "unitsync.v1.WantRequest": encoder((w, r: MessageInitShape<typeof WantRequestSchema>) => {
    text(w, 1, r.unit);
    texts(w, 2, r.dependsOn);
    enumeration(w, 3, r.condition);
  }),
  "unitsync.v1.StartRequest": encoder((w, r: MessageInitShape<typeof StartRequestSchema>) => {
    text(w, 1, r.unit);
    text(w, 2, r.startId);
  }),
  "unitsync.v1.CompleteRequest": encoder((w, r: MessageInitShape<typeof CompleteRequestSchema>) => text(w, 1, r.unit)),
  "unitsync.v1.FailRequest": encoder((w, r: MessageInitShape<typeof FailRequestSchema>) => {
    text(w, 1, r.unit);
    text(w, 2, r.reason);
  }),
};
