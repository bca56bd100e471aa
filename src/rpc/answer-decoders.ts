// The answers of the CLI's hot verbs (ping, want, start, complete, fail) decoded by hand, so that a
// CLI call reads them without building protobuf-es's descriptors (~10 ms of its start-up). Each
// gives the object fromBinary gives (same $typeName, defaults, key order, bigints); bytes with a
// field or wire type not known here, or malformed, throw WireShape, and the caller asks
// protobuf-es.
//
// Only types come from the generated code: at run time this module needs nothing but
// unit-decoder.ts, start-response-decoder.ts and wire-reader.ts.
import type { CompleteResponse, Counts, FailResponse, PingResponse, WantResponse } from "../../gen/unitsync/v1/unitsync_pb.js";
import { decodeStartResponseByHand } from "./start-response-decoder.js";
import { len, readerOf, readTimestamp, readUnit, unknown, varint } from "./unit-decoder.js";
import type { WireReader } from "./wire-reader.js";

const zeroCounts = (): Counts => ({
  $typeName: "unitsync.v1.Counts",
  units: 0,
  waiters: 0,
  streams: 0,
  connections: 0,
  events: 0n,
  droppedEvents: 0n,
  locks: 0,
  lockHolders: 0,
  lockRequestsQueued: 0,
  journalRecords: 0n,
  journalBytes: 0n,
  replayedRecords: 0n,
  startedSent: 0n,
});

function counts(r: WireReader, into: Counts | undefined): Counts {
  const end = r.end();
  const c = into ?? zeroCounts();
  while (r.pos < end) {
    switch (r.tag()) {
      case varint(1):
        c.units = r.u32();
        break;
      case varint(2):
        c.waiters = r.u32();
        break;
      case varint(3):
        c.streams = r.u32();
        break;
      case varint(4):
        c.connections = r.u32();
        break;
      case varint(5):
        c.events = r.long(false);
        break;
      case varint(6):
        c.droppedEvents = r.long(false);
        break;
      case varint(7):
        c.locks = r.u32();
        break;
      case varint(8):
        c.lockHolders = r.u32();
        break;
      case varint(9):
        c.lockRequestsQueued = r.u32();
        break;
      case varint(10):
        c.journalRecords = r.long(false);
        break;
      case varint(11):
        c.journalBytes = r.long(false);
        break;
      case varint(12):
        c.replayedRecords = r.long(false);
        break;
      case varint(15):
        c.startedSent = r.long(false);
        break;
      case len(16):
        c.lastStartedSentAt = readTimestamp(r, c.lastStartedSentAt);
        break;
      default:
        unknown();
    }
  }
  r.done(end);
  return c;
}

/** The PingResponse `bytes` encode, read by hand: throws WireShape for bytes it does not read. */
export function decodePingResponseByHand(bytes: Uint8Array): PingResponse {
  const r = readerOf(bytes);
  const m: PingResponse = { $typeName: "unitsync.v1.PingResponse", version: "", protocol: 0, uptimeMs: 0n, pid: 0 };
  while (r.pos < r.len) {
    switch (r.tag()) {
      case len(1):
        m.version = r.string();
        break;
      case varint(2):
        m.protocol = r.u32();
        break;
      case len(3):
        m.startedAt = readTimestamp(r, m.startedAt);
        break;
      case varint(4):
        m.uptimeMs = r.long(false);
        break;
      case len(5):
        m.counts = counts(r, m.counts);
        break;
      case varint(6):
        m.pid = r.u32();
        break;
      default:
        unknown();
    }
  }
  return m;
}

/** The WantResponse `bytes` encode, read by hand: throws WireShape for bytes it does not read. */
export function decodeWantResponseByHand(bytes: Uint8Array): WantResponse {
  const r = readerOf(bytes);
  const m: WantResponse = { $typeName: "unitsync.v1.WantResponse" };
  while (r.pos < r.len) {
    if (r.tag() === len(1)) m.unit = readUnit(r, m.unit);
    else unknown();
  }
  return m;
}

/** The CompleteResponse `bytes` encode, read by hand: throws WireShape for bytes it does not read. */
export function decodeCompleteResponseByHand(bytes: Uint8Array): CompleteResponse {
  const r = readerOf(bytes);
  const m: CompleteResponse = { $typeName: "unitsync.v1.CompleteResponse", changed: false };
  while (r.pos < r.len) {
    switch (r.tag()) {
      case len(1):
        m.unit = readUnit(r, m.unit);
        break;
      case varint(2):
        m.changed = r.bool();
        break;
      default:
        unknown();
    }
  }
  return m;
}

/** The FailResponse `bytes` encode, read by hand: throws WireShape for bytes it does not read. */
export function decodeFailResponseByHand(bytes: Uint8Array): FailResponse {
  const r = readerOf(bytes);
  const m: FailResponse = { $typeName: "unitsync.v1.FailResponse", changed: false, blocked: [] };
  while (r.pos < r.len) {
    switch (r.tag()) {
      case len(1):
        m.unit = readUnit(r, m.unit);
        break;
      case varint(2):
        m.changed = r.bool();
        break;
      case len(3):
        m.blocked.push(r.string());
        break;
      default:
        unknown();
    }
  }
  return m;
}

/**
 * The hand decoders by full type name. Each throws WireShape for bytes it does not read; the
 * caller then decodes them with protobuf-es.
 */
export const handDecoders: Record<string, (bytes: Uint8Array) => unknown> = {
  "unitsync.v1.StartResponse": decodeStartResponseByHand,
  "unitsync.v1.PingResponse": decodePingResponseByHand,
  "unitsync.v1.WantResponse": decodeWantResponseByHand,
  "unitsync.v1.CompleteResponse": decodeCompleteResponseByHand,
  "unitsync.v1.FailResponse": decodeFailResponseByHand,
};
