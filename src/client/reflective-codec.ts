// protobuf-es's own encoding and decoding, for the messages the hand codecs leave to it. The
// client loads this module on first need (message-codec.ts): a call that needs none never builds
// the generated descriptors.
import { type DescMessage, type MessageInitShape, create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { UnitSyncService } from "../../gen/unitsync/v1/unitsync_pb.js";

const schemas = new Map<string, DescMessage>();
for (const method of UnitSyncService.methods) {
  schemas.set(method.input.typeName, method.input);
  schemas.set(method.output.typeName, method.output);
}

function schema(typeName: string): DescMessage {
  const found = schemas.get(typeName);
  if (!found) throw new Error(`UnitSyncService has no message ${typeName}`);
  return found;
}

export const encode = (typeName: string, request: object): Uint8Array =>
  toBinary(schema(typeName), create(schema(typeName), request as MessageInitShape<DescMessage>));

export const decode = (typeName: string, bytes: Uint8Array): unknown => fromBinary(schema(typeName), bytes);
