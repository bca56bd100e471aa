// Test helper: hand-made HTTP/2 bytes for wire drills (preface, frames, an uncompressed HPACK
// header block, gRPC requests) and raw Unix-socket connections that send them.
import { connect, type Socket } from "node:net";

export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export const FrameType = { DATA: 0x0, HEADERS: 0x1, RST_STREAM: 0x3, SETTINGS: 0x4, PING: 0x6, GOAWAY: 0x7, WINDOW_UPDATE: 0x8 } as const;
export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;

/** One frame; `length` may lie about the payload (for truncated and oversized frames). */
export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0), length = payload.length): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(length & 0xffffff, 0, 3);
  header.writeUInt8(type, 3);
  header.writeUInt8(flags, 4);
  header.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([header, payload]);
}

/** An HPACK integer with an n-bit prefix (RFC 7541 §5.1), first byte ORed with `high`. */
function hpackInt(value: number, prefixBits: number, high = 0): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [high | value];
  const out = [high | max];
  for (value -= max; value >= 128; value = Math.floor(value / 128)) out.push((value % 128) + 128);
  out.push(value);
  return out;
}

/** A header block of literal fields without indexing and without Huffman coding. */
export function headerBlock(headers: [string, string][]): Buffer {
  const bytes: number[] = [];
  for (const [name, value] of headers) {
    bytes.push(0x00);
    for (const text of [name, value]) {
      const raw = Buffer.from(text, "latin1");
      bytes.push(...hpackInt(raw.length, 7), ...raw);
    }
  }
  return Buffer.from(bytes);
}

/** A length-prefixed gRPC message; `length` may lie. */
export function grpcMessage(body: Buffer, length = body.length): Buffer {
  const prefix = Buffer.alloc(5);
  prefix.writeUInt8(0, 0);
  prefix.writeUInt32BE(length >>> 0, 1);
  return Buffer.concat([prefix, body]);
}

/** Protobuf bytes of a message whose field 1 is the string `text` (StartRequest, GetUnitRequest). */
export function stringField1(text: string): Buffer {
  const raw = Buffer.from(text, "utf8");
  return Buffer.from([0x0a, ...hpackInt(raw.length, 7), ...raw]);
}

/** The request headers of a unitsync.v1 call on `streamId`. */
export function callHeaders(method: string, streamId = 1, endStream = false): Buffer {
  const block = headerBlock([
    [":method", "POST"],
    [":scheme", "http"],
    [":path", `/unitsync.v1.UnitSyncService/${method}`],
    [":authority", "localhost"],
    ["content-type", "application/grpc"],
    ["te", "trailers"],
  ]);
  return frame(FrameType.HEADERS, Flag.END_HEADERS | (endStream ? Flag.END_STREAM : 0), streamId, block);
}

/** A whole connection's worth of bytes: preface, SETTINGS, and one call with `request` as its body. */
export function callBytes(method: string, request: Buffer = Buffer.alloc(0)): Buffer {
  return Buffer.concat([
    PREFACE,
    frame(FrameType.SETTINGS, 0, 0),
    callHeaders(method),
    frame(FrameType.DATA, Flag.END_STREAM, 1, grpcMessage(request)),
  ]);
}

/** Frames in `bytes` read from the server (after no preface), as far as they are complete. */
export function parseFrames(bytes: Buffer): { type: number; flags: number; streamId: number; payload: Buffer }[] {
  const frames = [];
  for (let at = 0; at + 9 <= bytes.length; ) {
    const length = bytes.readUIntBE(at, 3);
    if (at + 9 + length > bytes.length) break;
    frames.push({ type: bytes[at + 3]!, flags: bytes[at + 4]!, streamId: bytes.readUInt32BE(at + 5) & 0x7fffffff, payload: bytes.subarray(at + 9, at + 9 + length) });
    at += 9 + length;
  }
  return frames;
}

export interface RawConnection {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): Buffer;
  /** Resolves when the connection has closed (either side). */
  closed: Promise<void>;
}

/**
 * A raw connection to `path`; resolves once connected. With `read: false` it never reads. A full
 * listen backlog (EAGAIN: the agent is busy accepting) is retried, as a patient client would.
 */
export async function rawConnect(path: string, options: { read?: boolean } = {}): Promise<RawConnection> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await connectOnce(path, options);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN" || attempt >= 500) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

function connectOnce(path: string, options: { read?: boolean }): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const chunks: Buffer[] = [];
    const closed = new Promise<void>((done) => socket.once("close", () => done()));
    if (options.read === false) socket.pause();
    else socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      socket.on("error", () => {}); // resets by the agent are expected
      resolve({ socket, received: () => Buffer.concat(chunks), closed });
    });
  });
}

/** A small seeded PRNG (mulberry32), so a failing drill can be replayed with its seed. */
export function random(seed: number): { next(): number; int(max: number): number; bytes(n: number): Buffer } {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  const int = (max: number) => Math.floor(next() * max);
  return { next, int, bytes: (n) => Buffer.from(Array.from({ length: n }, () => int(256))) };
}
