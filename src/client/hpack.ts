// HPACK (RFC 7541) as the client needs it: request headers are written as literals that never
// enter a table (a Unix socket gains nothing from compressing them), and the agent's header
// blocks are decoded in full: static and dynamic table, size updates, Huffman-coded strings.
import { HuffmanError, huffmanDecode } from "./huffman.js";

export class HpackError extends Error {}

/** RFC 7541, Appendix A: index 1 is STATIC[0]. */
const STATIC: readonly (readonly [string, string])[] = [
  [":authority", ""], [":method", "GET"], [":method", "POST"], [":path", "/"], [":path", "/index.html"],
  [":scheme", "http"], [":scheme", "https"], [":status", "200"], [":status", "204"], [":status", "206"],
  [":status", "304"], [":status", "400"], [":status", "404"], [":status", "500"], ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"], ["accept-language", ""], ["accept-ranges", ""], ["accept", ""],
  ["access-control-allow-origin", ""], ["age", ""], ["allow", ""], ["authorization", ""], ["cache-control", ""],
  ["content-disposition", ""], ["content-encoding", ""], ["content-language", ""], ["content-length", ""],
  ["content-location", ""], ["content-range", ""], ["content-type", ""], ["cookie", ""], ["date", ""], ["etag", ""],
  ["expect", ""], ["expires", ""], ["from", ""], ["host", ""], ["if-match", ""], ["if-modified-since", ""],
  ["if-none-match", ""], ["if-range", ""], ["if-unmodified-since", ""], ["last-modified", ""], ["link", ""],
  ["location", ""], ["max-forwards", ""], ["proxy-authenticate", ""], ["proxy-authorization", ""], ["range", ""],
  ["referer", ""], ["refresh", ""], ["retry-after", ""], ["server", ""], ["set-cookie", ""],
  ["strict-transport-security", ""], ["transfer-encoding", ""], ["user-agent", ""], ["vary", ""], ["via", ""],
  ["www-authenticate", ""],
];
const STATIC_NAME = new Map<string, number>();
STATIC.forEach(([name], i) => STATIC_NAME.has(name) || STATIC_NAME.set(name, i + 1));

/** An integer with an N-bit prefix (RFC 7541, 5.1); `first` holds the bits above the prefix. */
function pushInteger(out: number[], first: number, prefixBits: number, value: number): void {
  const max = 2 ** prefixBits - 1;
  if (value < max) return void out.push(first | value);
  out.push(first | max);
  for (value -= max; value >= 128; value = Math.floor(value / 128)) out.push((value % 128) + 128);
  out.push(value);
}

function pushString(out: number[], text: string): void {
  const bytes = Buffer.from(text, "latin1");
  pushInteger(out, 0, 7, bytes.length);
  for (const byte of bytes) out.push(byte);
}

/**
 * A header block of literals "without indexing" (RFC 7541, 6.2.2), the name by its static index
 * where it has one; `:method: POST` and `:scheme: http` are indexed whole.
 */
export function encodeHeaders(headers: readonly (readonly [string, string])[]): Buffer {
  const out: number[] = [];
  for (const [given, value] of headers) {
    const name = given.toLowerCase(); // HTTP/2 field names are lowercase (RFC 9113, 8.2.1)
    const whole = STATIC.findIndex(([n, v]) => n === name && v === value && v !== "");
    if (whole >= 0) {
      pushInteger(out, 0x80, 7, whole + 1);
      continue;
    }
    const index = STATIC_NAME.get(name);
    pushInteger(out, 0, 4, index ?? 0);
    if (index === undefined) pushString(out, name);
    pushString(out, value);
  }
  return Buffer.from(out);
}

/** Decoded headers: each name's values in order, as node:http2 gives them (one value: a string). */
export type HeaderBlock = Record<string, string | string[]>;

/** The decoding side of one connection: its dynamic table lives as long as the connection. */
export class HpackDecoder {
  /** Newest first, as indexes count. */
  readonly #table: [string, string][] = [];
  #size = 0;
  #max: number;

  /** `limit`: the SETTINGS_HEADER_TABLE_SIZE this side announced (a size update may not exceed it). */
  constructor(readonly limit = 4096) {
    this.#max = limit;
  }

  decode(block: Uint8Array): HeaderBlock {
    // No prototype: a header named "constructor" or "__proto__" is a header like any other.
    const out: HeaderBlock = Object.create(null);
    let at = 0;
    const integer = (prefixBits: number): number => {
      if (at >= block.length) throw new HpackError("a header block ends inside an integer");
      const max = 2 ** prefixBits - 1;
      let value = block[at++]! & max;
      if (value < max) return value;
      for (let shift = 1; ; shift *= 128) {
        if (at >= block.length) throw new HpackError("a header block ends inside an integer");
        if (shift > 2 ** 28) throw new HpackError("an HPACK integer is too long"); // RFC 7541, 5.1: limits in octets too
        const byte = block[at++]!;
        value += (byte & 127) * shift;
        if (value > 2 ** 32) throw new HpackError("an HPACK integer is too large");
        if (byte < 128) return value;
      }
    };
    const string = (): string => {
      const huffman = (block[at]! & 0x80) !== 0;
      const length = integer(7);
      if (at + length > block.length) throw new HpackError("a header block ends inside a string");
      const raw = block.subarray(at, (at += length));
      try {
        return (huffman ? huffmanDecode(raw) : Buffer.from(raw)).toString("latin1");
      } catch (error) {
        throw error instanceof HuffmanError ? new HpackError(error.message) : error;
      }
    };
    let sizeUpdates = true;
    while (at < block.length) {
      const byte = block[at]!;
      if (byte & 0x20 && !(byte & 0xc0)) {
        // 001xxxxx: a dynamic table size update, only at the start of a block.
        if (!sizeUpdates) throw new HpackError("a table size update after a header field");
        const size = integer(5);
        if (size > this.limit) throw new HpackError(`a table size update to ${size} exceeds ${this.limit}`);
        this.#max = size;
        this.#evict(0);
        continue;
      }
      sizeUpdates = false;
      let name: string;
      let value: string;
      if (byte & 0x80) {
        [name, value] = this.#entry(integer(7));
      } else {
        const indexed = (byte & 0x40) !== 0; // 01xxxxxx: with incremental indexing; 0000/0001xxxx: not
        const index = integer(indexed ? 6 : 4);
        name = index === 0 ? string() : this.#entry(index)[0];
        value = string();
        if (indexed) this.#add(name, value);
      }
      const had = out[name];
      out[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
    }
    return out;
  }

  #entry(index: number): readonly [string, string] {
    if (index === 0) throw new HpackError("header index 0");
    if (index <= STATIC.length) return STATIC[index - 1]!;
    const entry = this.#table[index - STATIC.length - 1];
    if (!entry) throw new HpackError(`header index ${index} is past the table`);
    return entry;
  }

  #add(name: string, value: string): void {
    const size = 32 + Buffer.byteLength(name, "latin1") + Buffer.byteLength(value, "latin1");
    this.#evict(size);
    if (size > this.#max) return; // larger than the table: it empties it and is not kept
    this.#table.unshift([name, value]);
    this.#size += size;
  }

  /** Drops the oldest entries until `room` more bytes fit. */
  #evict(room: number): void {
    while (this.#table.length > 0 && this.#size + room > this.#max) {
      const [name, value] = this.#table.pop()!;
      this.#size -= 32 + name.length + value.length;
    }
  }
}
