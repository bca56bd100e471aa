// gRPC's length-prefixed messages on an HTTP/2 stream: one flag byte, a 4-byte big-endian length,
// the message. A reader takes the stream's chunks as they come (several messages in one chunk,
// one message over many, empty messages) and hands out whole messages.

/** `message` with its 5-byte prefix (uncompressed). */
export function frameMessage(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(5 + message.byteLength);
  out[0] = 0;
  out.writeUInt32BE(message.byteLength, 1);
  out.set(message, 5);
  return out;
}

/** A frame the client cannot read: a compressed one (the client asks for none). */
export class FrameError extends Error {}

export class FrameReader {
  /** Chunks of the message being read (or of its prefix), and how many bytes they hold. */
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** The length of the message being read, once its prefix is in. */
  #length = -1;

  /** The whole messages that `chunk` completes, in order. */
  push(chunk: Buffer): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      if (this.#length < 0) {
        if (this.#buffered < 5) break;
        const prefix = this.#take(5);
        if (prefix[0] !== 0) throw new FrameError(`received a compressed message (flag ${prefix[0]}); the client accepts none`);
        this.#length = prefix.readUInt32BE(1);
      }
      if (this.#buffered < this.#length) break;
      out.push(this.#take(this.#length));
      this.#length = -1;
    }
    return out;
  }

  /** True between a message's first byte and its last. */
  get partial(): boolean {
    return this.#buffered > 0 || this.#length >= 0;
  }

  /** The next `n` buffered bytes (one copy at most; none when they lie in one chunk). */
  #take(n: number): Buffer {
    this.#buffered -= n;
    const head = this.#chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (head && head.length >= n) {
      if (head.length === n) this.#chunks.shift();
      else this.#chunks[0] = head.subarray(n);
      return head.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0]!;
      const part = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, part);
      filled += part;
      if (part === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(part);
    }
    return out;
  }
}
