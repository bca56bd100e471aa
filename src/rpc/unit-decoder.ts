// Unit's binary decoding written by hand, with every message inside it (Dependency, Blocked,
// ProcessState, ReadinessCheckState, Timestamp): the answers of Start, Want, Complete and Fail
// carry a unit, and the CLI reads them without building protobuf-es's descriptors. Each reader
// gives the object fromBinary gives (same $typeName, defaults, key order, bigints); a field number
// or wire type not known here, or malformed bytes, throw WireShape.
//
// Only types come from the generated code and protobuf-es: at run time this module needs nothing
// but wire-reader.ts.
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Blocked, Dependency, ProcessState, ReadinessCheckState, Unit } from "../../gen/unitsync/v1/unitsync_pb.js";
import { bigintsSupported, WireReader, WireShape } from "./wire-reader.js";

/** Tags: field number << 3 | wire type (0 varint, 2 length-delimited). */
export const varint = (field: number): number => field << 3;
export const len = (field: number): number => (field << 3) | 2;

export const unknown = (): never => {
  throw new WireShape("a field this decoder does not read");
};

/** A reader of `bytes`; throws WireShape when protobuf-es reads 64-bit integers as strings. */
export function readerOf(bytes: Uint8Array): WireReader {
  if (!bigintsSupported) throw new WireShape("64-bit integers are not bigints here");
  return new WireReader(bytes);
}

// Zero messages have their keys in the order protobuf-es creates them: every field in declaration
// order but the singular message fields, which are added when read (so in the order read). A
// singular message field read again merges into the one read before, as protobuf-es merges it.

/** A Timestamp at `r` (length-prefixed), merged into `into` when given. */
export function readTimestamp(r: WireReader, into: Timestamp | undefined): Timestamp {
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

function blocked(r: WireReader, into: Blocked | undefined): Blocked {
  const end = r.end();
  const b: Blocked = into ?? { $typeName: "unitsync.v1.Blocked", failedUnit: "", reason: "", chain: [] };
  while (r.pos < end) {
    switch (r.tag()) {
      case len(1):
        b.failedUnit = r.string();
        break;
      case len(2):
        b.reason = r.string();
        break;
      case len(3):
        b.chain.push(r.string());
        break;
      default:
        unknown();
    }
  }
  r.done(end);
  return b;
}

function check(r: WireReader): ReadinessCheckState {
  const end = r.end();
  const c: ReadinessCheckState = { $typeName: "unitsync.v1.ReadinessCheckState", check: "", passed: false, lastError: "" };
  while (r.pos < end) {
    switch (r.tag()) {
      case len(1):
        c.check = r.string();
        break;
      case varint(2):
        c.passed = r.bool();
        break;
      case len(3):
        c.passedAt = readTimestamp(r, c.passedAt);
        break;
      case len(4):
        c.lastError = r.string();
        break;
      default:
        unknown();
    }
  }
  r.done(end);
  return c;
}

const zeroProcess = (): ProcessState => ({
  $typeName: "unitsync.v1.ProcessState",
  phase: 0,
  pid: 0,
  attempt: 0,
  maxAttempts: 0,
  checks: [],
  exitCode: 0,
  exitReason: "",
});

function processState(r: WireReader, into: ProcessState | undefined): ProcessState {
  const end = r.end();
  const p = into ?? zeroProcess();
  while (r.pos < end) {
    switch (r.tag()) {
      case varint(1):
        p.phase = r.int32();
        break;
      case varint(2):
        p.pid = r.u32();
        break;
      case varint(3):
        p.attempt = r.u32();
        break;
      case varint(4):
        p.maxAttempts = r.u32();
        break;
      case len(5):
        p.checks.push(check(r));
        break;
      case len(6):
        p.startedAt = readTimestamp(r, p.startedAt);
        break;
      case len(7):
        p.readyAt = readTimestamp(r, p.readyAt);
        break;
      case len(8):
        p.exitedAt = readTimestamp(r, p.exitedAt);
        break;
      case varint(9):
        p.exitCode = r.int32();
        break;
      case len(10):
        p.exitReason = r.string();
        break;
      case len(11):
        p.retryAt = readTimestamp(r, p.retryAt);
        break;
      default:
        unknown();
    }
  }
  r.done(end);
  return p;
}

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

/** A Unit at `r` (length-prefixed), merged into `into` when given. */
export function readUnit(r: WireReader, into: Unit | undefined): Unit {
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
        u.blocked = blocked(r, u.blocked);
        break;
      case len(6):
        u.reason = r.string();
        break;
      case varint(7):
        u.waiting = r.bool();
        break;
      case len(8):
        u.registeredAt = readTimestamp(r, u.registeredAt);
        break;
      case len(9):
        u.changedAt = readTimestamp(r, u.changedAt);
        break;
      case len(10):
        u.owner = r.string();
        break;
      case varint(11):
        u.attempt = r.u32();
        break;
      case len(15):
        u.process = processState(r, u.process);
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
