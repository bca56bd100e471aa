// The client's plain list of UnitSyncService's methods matches the generated descriptor: a method
// added to the proto without it fails here.
import test from "ava";
import { UnitSyncService } from "../gen/unitsync/v1/unitsync_pb.js";
import { UNITSYNC_METHODS } from "../src/rpc/service-methods.js";

test("UNITSYNC_METHODS lists every method of the descriptor, in order, with its path, kind and messages", (t) => {
  const fromDescriptor = UnitSyncService.methods.map((m) => ({
    localName: m.localName,
    path: `/${UnitSyncService.typeName}/${m.name}`,
    kind: m.methodKind,
    input: m.input.typeName,
    output: m.output.typeName,
  }));
  t.deepEqual(UNITSYNC_METHODS, fromDescriptor);
});
