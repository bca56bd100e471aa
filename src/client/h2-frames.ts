// HTTP/2 frames (RFC 9113, section 4 and 6) as the client writes and reads them: the 9-byte
// header, the types and flags it uses, and a reader that cuts a byte stream into whole frames.

export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export const enum FrameType {
  DATA = 0x0,
  HEADERS = 0x1,
  PRIORITY = 0x2,
  RST_STREAM = 0x3,
  SETTINGS = 0x4,
  PUSH_PROMISE = 0x5,
  PING = 0x6,
  GOAWAY = 0x7,
  WINDOW_UPDATE = 0x8,
  CONTINUATION = 0x9,
}

export const enum Flag {
  END_STREAM = 0x1,
  ACK = 0x1,
  END_HEADERS = 0x4,
  PADDED = 0x8,
  PRIORITY = 0x20,
}

export const enum Setting {
  HEADER_TABLE_SIZE = 0x1,
  ENABLE_PUSH = 0x2,
  MAX_CONCURRENT_STREAMS = 0x3,
  INITIAL_WINDOW_SIZE = 0x4,
  MAX_FRAME_SIZE = 0x5,
}

/** Error codes (RFC 9113, section 7) the client names. */
export const enum H2Error {
  NO_ERROR = 0x0,
  PROTOCOL_ERROR = 0x1,
  FLOW_CONTROL_ERROR = 0x3,
  FRAME_SIZE_ERROR = 0x6,
  REFUSED_STREAM = 0x7,
  CANCEL = 0x8,
  COMPRESSION_ERROR = 0x9,
  ENHANCE_YOUR_CALM = 0xb,
}

export const DEFAULT_WINDOW = 65_535;
export const DEFAULT_FRAME_SIZE = 16_384;
export const MAX_WINDOW = 2 ** 31 - 1;

export interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

export function frame(type: FrameType, flags: number, stream: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  const out = Buffer.allocUnsafe(9 + payload.length);
  out.writeUIntBE(payload.length, 0, 3);
  out[3] = type;
  out[4] = flags;
  out.writeUInt32BE(stream & MAX_WINDOW, 5);
  out.set(payload, 9);
  return out;
}

export function settingsFrame(settings: readonly (readonly [Setting, number])[]): Buffer {
  const payload = Buffer.allocUnsafe(6 * settings.length);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, 6 * i);
    payload.writeUInt32BE(value, 6 * i + 2);
  });
  return frame(FrameType.SETTINGS, 0, 0, payload);
}

export function windowUpdateFrame(stream: number, increment: number): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(increment, 0);
  return frame(FrameType.WINDOW_UPDATE, 0, stream, payload);
}

export function rstStreamFrame(stream: number, code: H2Error): Buffer {
  const payload = Buffer.allocUnsafe(4);
  payload.writeUInt32BE(code, 0);
  return frame(FrameType.RST_STREAM, 0, stream, payload);
}

export class H2ProtocolError extends Error {}

/** Cuts the bytes read from the connection into frames. */
export class FrameSplitter {
  #pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    let data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
    const frames: Frame[] = [];
    while (data.length >= 9) {
      const length = data.readUIntBE(0, 3);
      // The client announces no SETTINGS_MAX_FRAME_SIZE, so the default is the most it takes (RFC 9113, 4.2).
      if (length > DEFAULT_FRAME_SIZE) throw new H2ProtocolError(`a frame of ${length} bytes, over ${DEFAULT_FRAME_SIZE}`);
      if (data.length < 9 + length) break;
      frames.push({ type: data[3]!, flags: data[4]!, stream: data.readUInt32BE(5) & MAX_WINDOW, payload: data.subarray(9, 9 + length) });
      data = data.subarray(9 + length);
    }
    this.#pending = data;
    return frames;
  }
}

/**
 * The settings a SETTINGS frame carries, the last value of each, checked against their limits
 * (RFC 9113, 6.5.2); undefined for an ACK. The client acts on the window and the frame size: its
 * headers never enter a table, and it opens few streams.
 */
export function readSettings(f: Frame): Map<number, number> | undefined {
  if (f.flags & Flag.ACK) {
    if (f.payload.length > 0) throw new H2ProtocolError("a SETTINGS ACK with a payload");
    return undefined;
  }
  if (f.payload.length % 6 !== 0) throw new H2ProtocolError("SETTINGS is not a multiple of 6 bytes");
  const settings = new Map<number, number>();
  for (let at = 0; at < f.payload.length; at += 6) {
    const id = f.payload.readUInt16BE(at);
    const value = f.payload.readUInt32BE(at + 2);
    if (id === Setting.INITIAL_WINDOW_SIZE && value > MAX_WINDOW) throw new H2ProtocolError("INITIAL_WINDOW_SIZE past 2^31-1");
    if (id === Setting.MAX_FRAME_SIZE && (value < DEFAULT_FRAME_SIZE || value > 2 ** 24 - 1)) throw new H2ProtocolError("MAX_FRAME_SIZE out of range");
    settings.set(id, value);
  }
  return settings;
}

/** A DATA or HEADERS payload without its padding (and, for HEADERS, its priority fields). */
export function unpadded(f: Frame): Buffer {
  let body = f.payload;
  let pad = 0;
  if (f.flags & Flag.PADDED) {
    if (body.length < 1) throw new H2ProtocolError("a padded frame without its pad length");
    pad = body[0]!;
    body = body.subarray(1);
  }
  if (f.type === FrameType.HEADERS && f.flags & Flag.PRIORITY) {
    if (body.length < 5) throw new H2ProtocolError("HEADERS too short for its priority fields");
    body = body.subarray(5);
  }
  if (pad > body.length) throw new H2ProtocolError("padding longer than the frame");
  return body.subarray(0, body.length - pad);
}
