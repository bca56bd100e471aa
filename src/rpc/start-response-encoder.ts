// StartResponse's binary encoding written by hand: a fan-out encodes one `started` (a whole Unit)
// per waiter, and protobuf-es's reflective toBinary was most of that cost. The bytes are the ones
// toBinary writes (fields in number order, defaults left out); the rare parts — a Blocked or
// ProcessState inside the unit, unknown fields — go through toBinary, nested, or entirely.
import { toBinary } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import {
  BlockedSchema,
  type Dependency,
  ProcessStateSchema,
  type Started,
  StartResponseSchema,
  type StartResponse,
  type Unit,
  type Waiting,
} from "../../gen/unitsync/v1/unitsync_pb.js";

/** A tag byte: field number and wire type (every field here has a number below 16). */
const tag = (field: number, wire: number) => (field << 3) | wire;
const VARINT = 0;
const BYTES = 2;

/** Bytes of an unsigned varint below 2^32. */
const u32Size = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);
/** Bytes of an int32 varint (a negative one takes 10, sign-extended to 64 bits). */
const i32Size = (n: number) => (n < 0 ? 10 : u32Size(n));
/** Bigints in this range are varint-coded as Numbers: BigInt arithmetic costs far more. */
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** Bytes of an unsigned varint of a safe integer. */
const safeSize = (n: number) => {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 0x80);
    size++;
  }
  return size;
};
/** Bytes of a 64-bit varint (int64 as two's complement, uint64 as is). */
const u64Size = (n: bigint) => {
  if (n >= 0n && n <= SAFE) return safeSize(Number(n));
  let v = BigInt.asUintN(64, n);
  let size = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    size++;
  }
  return size;
};
const lenSize = (n: number) => u32Size(n) + n;

class Writer {
  at = 0;
  constructor(readonly buf: Buffer) {}
  byte(b: number): void {
    this.buf[this.at++] = b;
  }
  u32(n: number): void {
    while (n >= 0x80) {
      this.buf[this.at++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.at++] = n;
  }
  i32(n: number): void {
    if (n >= 0) this.u32(n);
    else this.u64(BigInt(n));
  }
  u64(n: bigint): void {
    if (n >= 0n && n <= SAFE) {
      let v = Number(n);
      while (v >= 0x80) {
        this.buf[this.at++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      this.buf[this.at++] = v;
      return;
    }
    let v = BigInt.asUintN(64, n);
    while (v >= 0x80n) {
      this.buf[this.at++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.at++] = Number(v);
  }
  string(field: number, s: string, size: number): void {
    this.byte(tag(field, BYTES));
    this.u32(size);
    this.at += this.buf.write(s, this.at, size, "utf8");
  }
  bytes(field: number, b: Uint8Array): void {
    this.byte(tag(field, BYTES));
    this.u32(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }
}

const hasUnknown = (m: { $unknown?: unknown[] }) => m.$unknown !== undefined && m.$unknown.length > 0;

/** A string field's size and its UTF-8 byte length, or 0 for the default (left out). */
const strField = (s: string) => (s === "" ? 0 : 1 + lenSize(Buffer.byteLength(s)));

function timestampSize(t: Timestamp): number {
  return (t.seconds === 0n ? 0 : 1 + u64Size(t.seconds)) + (t.nanos === 0 ? 0 : 1 + i32Size(t.nanos));
}

function writeTimestamp(w: Writer, field: number, t: Timestamp): void {
  w.byte(tag(field, BYTES));
  w.u32(timestampSize(t));
  if (t.seconds !== 0n) {
    w.byte(tag(1, VARINT));
    w.u64(t.seconds);
  }
  if (t.nanos !== 0) {
    w.byte(tag(2, VARINT));
    w.i32(t.nanos);
  }
}

function dependencySize(d: Dependency): number {
  return strField(d.dependsOn) + (d.required === 0 ? 0 : 1 + i32Size(d.required)) + (d.currentStatus === 0 ? 0 : 1 + i32Size(d.currentStatus)) + (d.satisfied ? 2 : 0);
}

function writeString(w: Writer, field: number, s: string): void {
  if (s !== "") w.string(field, s, Buffer.byteLength(s));
}

function writeEnum(w: Writer, field: number, n: number): void {
  if (n === 0) return;
  w.byte(tag(field, VARINT));
  w.i32(n);
}

function writeBool(w: Writer, field: number, b: boolean): void {
  if (!b) return;
  w.byte(tag(field, VARINT));
  w.byte(1);
}

/** A Unit's parts encoded by protobuf-es (set only when present). */
interface UnitExtras {
  blocked?: Uint8Array;
  process?: Uint8Array;
}

function unitSize(u: Unit, extras: UnitExtras): number {
  let size = strField(u.name) + (u.status === 0 ? 0 : 1 + i32Size(u.status)) + (u.ready ? 2 : 0);
  for (const d of u.dependencies) size += 1 + lenSize(dependencySize(d));
  if (extras.blocked) size += 1 + lenSize(extras.blocked.length);
  size += strField(u.reason) + (u.waiting ? 2 : 0);
  if (u.registeredAt) size += 1 + lenSize(timestampSize(u.registeredAt));
  if (u.changedAt) size += 1 + lenSize(timestampSize(u.changedAt));
  size += strField(u.owner) + (u.attempt === 0 ? 0 : 1 + u32Size(u.attempt));
  if (extras.process) size += 1 + lenSize(extras.process.length);
  for (const s of u.locksHeld) size += 2 + lenSize(Buffer.byteLength(s)); // fields 20, 21: two tag bytes
  for (const s of u.locksWaiting) size += 2 + lenSize(Buffer.byteLength(s));
  return size;
}

function writeUnit(w: Writer, u: Unit, extras: UnitExtras): void {
  writeString(w, 1, u.name);
  writeEnum(w, 2, u.status);
  writeBool(w, 3, u.ready);
  for (const d of u.dependencies) {
    w.byte(tag(4, BYTES));
    w.u32(dependencySize(d));
    writeString(w, 1, d.dependsOn);
    writeEnum(w, 2, d.required);
    writeEnum(w, 3, d.currentStatus);
    writeBool(w, 4, d.satisfied);
  }
  if (extras.blocked) w.bytes(5, extras.blocked);
  writeString(w, 6, u.reason);
  writeBool(w, 7, u.waiting);
  if (u.registeredAt) writeTimestamp(w, 8, u.registeredAt);
  if (u.changedAt) writeTimestamp(w, 9, u.changedAt);
  writeString(w, 10, u.owner);
  if (u.attempt !== 0) {
    w.byte(tag(11, VARINT));
    w.u32(u.attempt);
  }
  if (extras.process) w.bytes(15, extras.process);
  for (const [field, list] of [[20, u.locksHeld], [21, u.locksWaiting]] as const) {
    for (const s of list) {
      const size = Buffer.byteLength(s);
      w.u32(tag(field, BYTES)); // a two-byte tag
      w.u32(size);
      w.at += w.buf.write(s, w.at, size, "utf8");
    }
  }
}

function startedSize(s: Started, unitBytes: number): number {
  let size = s.unit ? 1 + lenSize(unitBytes) : 0;
  for (const d of s.dependencies) size += 1 + lenSize(Buffer.byteLength(d));
  return size + (s.waitedMs === 0n ? 0 : 1 + u64Size(s.waitedMs));
}

function writeStarted(w: Writer, s: Started, extras: UnitExtras, unitBytes: number): void {
  if (s.unit) {
    w.byte(tag(1, BYTES));
    w.u32(unitBytes);
    writeUnit(w, s.unit, extras);
  }
  for (const d of s.dependencies) w.string(2, d, Buffer.byteLength(d));
  if (s.waitedMs !== 0n) {
    w.byte(tag(3, VARINT));
    w.u64(s.waitedMs);
  }
}

function waitingSize(m: Waiting): number {
  let size = 0;
  for (const s of m.unmet) size += 1 + lenSize(Buffer.byteLength(s));
  for (const s of m.unregistered) size += 1 + lenSize(Buffer.byteLength(s));
  return size;
}

/** True when every message inside `started` is one this encoder writes itself (no unknown fields). */
function plain(s: Started): boolean {
  const u = s.unit;
  if (hasUnknown(s)) return false;
  if (!u) return true;
  if (hasUnknown(u) || (u.registeredAt && hasUnknown(u.registeredAt)) || (u.changedAt && hasUnknown(u.changedAt))) return false;
  return !u.dependencies.some(hasUnknown);
}

/**
 * StartResponse's encoding, the bytes `toBinary(StartResponseSchema, message)` gives; the cases
 * other than `waiting` and `started` (and messages with unknown fields) go through toBinary.
 */
export function encodeStartResponse(message: StartResponse): Uint8Array {
  const { event } = message;
  if (!hasUnknown(message) && event.case === "started" && plain(event.value)) {
    const u = event.value.unit;
    const extras: UnitExtras = {};
    if (u?.blocked) extras.blocked = toBinary(BlockedSchema, u.blocked);
    if (u?.process) extras.process = toBinary(ProcessStateSchema, u.process);
    const unitBytes = u ? unitSize(u, extras) : 0;
    const inner = startedSize(event.value, unitBytes);
    const w = new Writer(Buffer.allocUnsafe(1 + lenSize(inner)));
    w.byte(tag(3, BYTES));
    w.u32(inner);
    writeStarted(w, event.value, extras, unitBytes);
    return w.buf;
  }
  if (!hasUnknown(message) && event.case === "waiting" && !hasUnknown(event.value)) {
    const inner = waitingSize(event.value);
    const w = new Writer(Buffer.allocUnsafe(1 + lenSize(inner)));
    w.byte(tag(1, BYTES));
    w.u32(inner);
    for (const s of event.value.unmet) w.string(1, s, Buffer.byteLength(s));
    for (const s of event.value.unregistered) w.string(2, s, Buffer.byteLength(s));
    return w.buf;
  }
  return toBinary(StartResponseSchema, message);
}
