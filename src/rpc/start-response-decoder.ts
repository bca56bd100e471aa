// StartResponse's binary decoding written by hand: a fan-out wakes thousands of Start streams at
// once, and protobuf-es's reflective fromBinary was most of the client's CPU reading them. The
// result is the object fromBinary gives (same $typeName, defaults, key order, oneof shape,
// bigints). Blocked and ProcessState, rare inside a started unit, are read by protobuf-es; bytes
// with any field or wire type not known here, or malformed, go to fromBinary whole, so unknown
// fields are kept and errors are protobuf-es's own.
import { fromBinary, mergeFromBinary } from "@bufbuild/protobuf";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import {
  BlockedSchema,
  type Dependency,
  type DependencySatisfied,
  ProcessStateSchema,
  type Started,
  StartResponseSchema,
  type StartResponse,
  type Unit,
  type Waiting,
} from "../../gen/unitsync/v1/unitsync_pb.js";
import { bigintsSupported, WireReader, WireShape } from "./wire-reader.js";

/** Tags: field number << 3 | wire type (0 varint, 2 length-delimited). */
const varint = (field: number) => field << 3;
const len = (field: number) => (field << 3) | 2;

const unknown = (): never => {
  throw new WireShape("a field this decoder does not read");
};

// Zero messages with their keys in the order protobuf-es creates them: every field but the
// singular message fields, which are added when read.
const zeroUnit = (): Unit => ({
  $typeName: "unitsync.v1.Unit",
  name: "",
  status: 0,
  ready: false,
  dependencies: [],
  reason: "",
  waiting: false,
  owner: "",
  attempt: 0,
  locksHeld: [],
  locksWaiting: [],
});

/**
 * Blocked and ProcessState sit three messages deep (StartResponse, Started, Unit); protobuf-es
 * reading them alone with the depth left gives what it gives reading them nested.
 */
const NESTED = { recursionLimit: 100 - 3 };

function byProtobufEs<D extends DescMessage>(r: WireReader, schema: D, into: MessageShape<D> | undefined): MessageShape<D> {
  const bytes = r.bytes();
  return into ? mergeFromBinary(schema, into, bytes, NESTED) : fromBinary(schema, bytes, NESTED);
}

function timestamp(r: WireReader, into: Timestamp | undefined): Timestamp {
  const end = r.end();
  const t: Timestamp = into ?? { $typeName: "google.protobuf.Timestamp", seconds: 0n, nanos: 0 };
  while (r.pos < end) {
    switch (r.tag()) {
      case varint(1):
        t.seconds = r.long(true);
        break;
      case varint(2):
        t.nanos = r.int32();
        break;
      default:
        unknown();
    }
  }
  r.done(end);
  return t;
}

function dependency(r: WireReader): Dependency {
  const end = r.end();
  const d: Dependency = { $typeName: "unitsync.v1.Dependency", dependsOn: "", required: 0, currentStatus: 0, satisfied: false };
  while (r.pos < end) {
    switch (r.tag()) {
      case len(1):
        d.dependsOn = r.string();
        break;
      case varint(2):
        d.required = r.int32();
        break;
      case varint(3):
        d.currentStatus = r.int32();
        break;
      case varint(4):
        d.satisfied = r.bool();
        break;
      default:
        unknown();
    }
  }
  r.done(end);
  return d;
}

function unit(r: WireReader, into: Unit | undefined): Unit {
  const end = r.end();
  const u = into ?? zeroUnit();
  while (r.pos < end) {
    switch (r.tag()) {
      case len(1):
        u.name = r.string();
        break;
      case varint(2):
        u.status = r.int32();
        break;
      case varint(3):
        u.ready = r.bool();
        break;
      case len(4):
        u.dependencies.push(dependency(r));
        break;
      case len(5):
        u.blocked = byProtobufEs(r, BlockedSchema, u.blocked);
        break;
      case len(6):
        u.reason = r.string();
        break;
      case varint(7):
        u.waiting = r.bool();
        break;
      case len(8):
        u.registeredAt = timestamp(r, u.registeredAt);
        break;
      case len(9):
        u.changedAt = timestamp(r, u.changedAt);
        break;
      case len(10):
        u.owner = r.string();
        break;
      case varint(11):
        u.attempt = r.u32();
        break;
      case len(15):
        u.process = byProtobufEs(r, ProcessStateSchema, u.process);
        break;
      case len(20):
        u.locksHeld.push(r.string());
        break;
      case len(21):
        u.locksWaiting.push(r.string());
        break;
      default:
        unknown();
    }
  }
  r.done(end);
  return u;
}

function started(r: WireReader, into: Started | undefined): Started {
  const end = r.end();
  const s: Started = into ?? { $typeName: "unitsync.v1.Started", dependencies: [], waitedMs: 0n };
  while (r.pos < end) {
    switch (r.tag()) {
      case len(1):
        s.unit = unit(r, s.unit);
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

/** The hand decoding alone: throws for bytes it does not read (decodeStartResponse then asks protobuf-es). */
export function decodeStartResponseByHand(bytes: Uint8Array): StartResponse {
  const r = new WireReader(bytes);
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

/** The StartResponse `bytes` encode: the object `fromBinary(StartResponseSchema, bytes)` gives, or its error. */
export function decodeStartResponse(bytes: Uint8Array): StartResponse {
  if (!bigintsSupported) return fromBinary(StartResponseSchema, bytes);
  try {
    return decodeStartResponseByHand(bytes);
  } catch {
    return fromBinary(StartResponseSchema, bytes);
  }
}
