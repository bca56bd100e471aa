// Reading protobuf's binary wire format by hand, value by value, with the results protobuf-es's
// BinaryReader gives for well-formed bytes. Anything else — bytes past the end, an over-long
// varint or tag — throws WireShape, and the caller hands the whole message to protobuf-es.
import { protoInt64 } from "@bufbuild/protobuf";
import { getTextEncoding } from "@bufbuild/protobuf/wire";

/** Bytes a hand decoder does not read itself (malformed, or fields it does not know). */
export class WireShape extends Error {}

type Latin1 = Buffer & { latin1Slice?(start: number, end: number): string };

export class WireReader {
  pos = 0;
  readonly buf: Latin1;
  readonly len: number;

  /** `input` is kept for views of it (bytes()), of its class as protobuf-es gives them. */
  constructor(readonly input: Uint8Array) {
    this.buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    this.len = this.buf.length;
  }

  /** The byte at `pos`; throws past the end. */
  #at(pos: number): number {
    if (pos >= this.len) throw new WireShape("premature end");
    return this.buf[pos]!;
  }

  /** An unsigned 32-bit varint (the low 32 bits of a longer one), as protobuf-es's uint32. */
  u32(): number {
    const b = this.buf[this.pos];
    if (b !== undefined && b < 0x80) {
      this.pos++;
      return b;
    }
    return this.#u32Slow();
  }

  /** Past one byte: the low 32 bits of a varint of up to 10 bytes, as protobuf-es's varint32 reads it. */
  #u32Slow(): number {
    return this.#halves()[0] >>> 0;
  }

  int32(): number {
    return this.u32() | 0;
  }

  /** A tag (field number << 3 | wire type), refused as protobuf-es refuses one over 32 bits. */
  tag(): number {
    const start = this.pos;
    const tag = this.u32();
    const read = this.pos - start;
    if (read > 5 || (read === 5 && this.buf[this.pos - 1]! > 0x0f)) throw new WireShape("tag overflows uint32");
    return tag;
  }

  /** A 64-bit varint as protobuf-es reads it: two 32-bit halves. */
  #halves(): [number, number] {
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    for (let shift = 0; shift < 28; shift += 7) {
      const b = this.#at(pos++);
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return [lo, hi];
      }
    }
    const middle = this.#at(pos++);
    lo |= (middle & 0x0f) << 28;
    hi = (middle & 0x70) >> 4;
    if (middle < 0x80) {
      this.pos = pos;
      return [lo, hi];
    }
    for (let shift = 3; shift <= 31; shift += 7) {
      const b = this.#at(pos++);
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return [lo, hi];
      }
    }
    throw new WireShape("varint longer than 10 bytes");
  }

  /** A 64-bit varint as a bigint: unsigned (uint64) or two's complement (int64). */
  long(signed: boolean): bigint {
    // Up to 7 bytes (49 bits) the value is exact as a Number, and positive either way.
    let pos = this.pos;
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.#at(pos++);
      n += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = pos;
        return BigInt(n);
      }
      scale *= 0x80;
    }
    const [lo, hi] = this.#halves();
    return (signed ? protoInt64.dec(lo, hi) : protoInt64.uDec(lo, hi)) as bigint;
  }

  bool(): boolean {
    const b = this.buf[this.pos];
    if (b === 0 || b === 1) {
      this.pos++;
      return b === 1;
    }
    const [lo, hi] = this.#halves();
    return lo !== 0 || hi !== 0;
  }

  /** A length prefix; returns where the bytes it announces end. */
  end(): number {
    const len = this.u32();
    const end = this.pos + len;
    if (end > this.len) throw new WireShape("length past the end");
    return end;
  }

  /** The next `end()` bytes, as a view of the input. */
  bytes(): Uint8Array {
    const end = this.end();
    const out = this.input.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  /** A string (strict UTF-8, as protobuf-es checks proto3 strings); ASCII without TextDecoder. */
  string(): string {
    const end = this.end();
    const { buf } = this;
    const start = this.pos;
    this.pos = end;
    for (let i = start; i < end; i++) {
      if (buf[i]! >= 0x80) return utf8(buf.subarray(start, end));
    }
    return buf.latin1Slice ? buf.latin1Slice(start, end) : buf.toString("latin1", start, end);
  }

  /** Throws unless a message read up to `end` ended exactly there. */
  done(end: number): void {
    if (this.pos !== end) throw new WireShape("message ran past its length");
  }
}

/** Strict UTF-8; bytes that are not UTF-8 throw WireShape, as all malformed bytes do here. */
function utf8(bytes: Uint8Array): string {
  try {
    return getTextEncoding().decodeUtf8(bytes, true);
  } catch {
    throw new WireShape("invalid UTF-8");
  }
}

/** False when protobuf-es reads 64-bit integers as strings (BUF_BIGINT_DISABLE=1). */
export const bigintsSupported = protoInt64.supported;
