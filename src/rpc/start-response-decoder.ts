// StartResponse's binary decoding written by hand: a fan-out wakes thousands of Start streams at
// once, and protobuf-es's reflective fromBinary was most of the client's CPU reading them; the CLI
// also reads them without building protobuf-es's descriptors. The result is the object fromBinary
// gives (same $typeName, defaults, key order, oneof shape, bigints); bytes with any field or wire
// type not known here, or malformed, throw WireShape, and the caller asks protobuf-es, which keeps
// unknown fields and gives its own errors.
//
// Only types come from the generated code: at run time this module needs nothing but
// unit-decoder.ts and wire-reader.ts.
import type { DependencySatisfied, Started, StartResponse, Waiting } from "../../gen/unitsync/v1/unitsync_pb.js";
import { len, readerOf, readUnit, unknown, varint } from "./unit-decoder.js";
import type { WireReader } from "./wire-reader.js";

function started(r: WireReader, into: Started | undefined): Started {
  const end = r.end();
  const s: Started = into ?? { $typeName: "unitsync.v1.Started", dependencies: [], waitedMs: 0n };
  while (r.pos < end) {
    switch (r.tag()) {
      case len(1):
        s.unit = readUnit(r, s.unit);
        break;
      case len(2):
        s.dependencies.push(r.string());
        break;
      case varint(3):
        s.waitedMs = r.long(false);
        break;
      default:
        unknown();
    }
  }
  r.done(end);
  return s;
}

function waiting(r: WireReader, into: Waiting | undefined): Waiting {
  const end = r.end();
  const w: Waiting = into ?? { $typeName: "unitsync.v1.Waiting", unmet: [], unregistered: [] };
  while (r.pos < end) {
    switch (r.tag()) {
      case len(1):
        w.unmet.push(r.string());
        break;
      case len(2):
        w.unregistered.push(r.string());
        break;
      default:
        unknown();
    }
  }
  r.done(end);
  return w;
}

function dependencySatisfied(r: WireReader, into: DependencySatisfied | undefined): DependencySatisfied {
  const end = r.end();
  const d: DependencySatisfied = into ?? { $typeName: "unitsync.v1.DependencySatisfied", name: "", status: 0, unmet: [] };
  while (r.pos < end) {
    switch (r.tag()) {
      case len(1):
        d.name = r.string();
        break;
      case varint(2):
        d.status = r.int32();
        break;
      case len(3):
        d.unmet.push(r.string());
        break;
      default:
        unknown();
    }
  }
  r.done(end);
  return d;
}

/** The StartResponse `bytes` encode, read by hand: throws WireShape for bytes it does not read. */
export function decodeStartResponseByHand(bytes: Uint8Array): StartResponse {
  const r = readerOf(bytes);
  const m: StartResponse = { $typeName: "unitsync.v1.StartResponse", event: { case: undefined } };
  while (r.pos < r.len) {
    // A oneof member read twice merges into the first, as protobuf-es merges it.
    const { event } = m;
    switch (r.tag()) {
      case len(1):
        m.event = { case: "waiting", value: waiting(r, event.case === "waiting" ? event.value : undefined) };
        break;
      case len(2):
        m.event = { case: "dependencySatisfied", value: dependencySatisfied(r, event.case === "dependencySatisfied" ? event.value : undefined) };
        break;
      case len(3):
        m.event = { case: "started", value: started(r, event.case === "started" ? event.value : undefined) };
        break;
      default:
        unknown();
    }
  }
  return m;
}
