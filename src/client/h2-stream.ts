// One HTTP/2 stream of a client connection: the request body sent as the windows allow, the
// agent's headers and DATA handed on in order, pause and resume held back by the stream's window.
import { Flag, FrameType, H2Error, frame, rstStreamFrame, windowUpdateFrame } from "./h2-frames.js";
import type { HeaderBlock } from "./hpack.js";

export interface StreamEvents {
  /** The first block is the response's headers, a later one its trailers. */
  headers(block: HeaderBlock): void;
  data(chunk: Buffer): void;
  /** Once, at the end: read `rstCode` for a reset; the connection says whether it was lost. */
  close(): void;
}

/** What a stream needs of its connection. */
export interface StreamLink {
  send(frame: Buffer): void;
  closed(stream: H2Stream): void;
}

export class H2Stream {
  /** The RST_STREAM code that ended the stream, the agent's or the client's own. */
  rstCode: number | undefined;
  closed = false;
  /** The part of the request body not sent yet. */
  body: Buffer | undefined;
  #paused = false;
  readonly #queue: { chunk: Buffer; size: number }[] = [];
  /** Bytes handed on but not yet credited back to the agent. */
  #uncredited = 0;
  #remoteEnded = false;

  constructor(
    readonly id: number,
    /** Bytes the client may still send on this stream. */
    public sendWindow: number,
    readonly receiveWindow: number,
    readonly events: StreamEvents,
    readonly link: StreamLink,
  ) {}

  /** Sends what the windows allow of the body, ending the client's side with its last byte; returns the bytes sent. */
  sendBody(connectionWindow: number, frameSize: number): number {
    const body = this.body;
    if (body === undefined || this.closed) return 0;
    let at = 0;
    for (;;) {
      const size = Math.max(0, Math.min(body.length - at, frameSize, this.sendWindow - at, connectionWindow - at));
      const last = at + size === body.length;
      if (size === 0 && !last) break; // the windows are spent
      this.link.send(frame(FrameType.DATA, last ? Flag.END_STREAM : 0, this.id, body.subarray(at, at + size)));
      at += size;
      if (last) break;
    }
    this.sendWindow -= at;
    this.body = at === body.length ? undefined : body.subarray(at);
    return at;
  }

  headers(block: HeaderBlock, endStream: boolean): void {
    if (this.closed) return;
    this.events.headers(block);
    if (endStream) this.#ended();
  }

  data(chunk: Buffer, size: number, endStream: boolean): void {
    if (this.closed || this.#remoteEnded) return;
    this.#queue.push({ chunk, size });
    if (endStream) this.#remoteEnded = true;
    this.#deliver();
  }

  /** The agent reset the stream, or refused it in its GOAWAY. */
  reset(code: number): void {
    if (this.closed) return;
    this.rstCode = code;
    // NO_ERROR after a whole answer only stops the request body: what was answered is kept (RFC 9113, 8.1).
    if (code === H2Error.NO_ERROR && this.#remoteEnded) {
      this.body = undefined;
      return;
    }
    this.#close();
  }

  /** The client gives up on the stream: RST_STREAM tells the agent. */
  cancel(code: H2Error = H2Error.CANCEL): void {
    if (this.closed) return;
    this.rstCode = code;
    this.link.send(rstStreamFrame(this.id, code));
    this.#close();
  }

  /** The connection is gone; a stream the agent had ended still hands on what it holds. */
  lost(): void {
    if (!this.#remoteEnded) this.#close();
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#deliver();
  }

  #deliver(): void {
    while (!this.#paused && !this.closed && this.#queue.length > 0) {
      const { chunk, size } = this.#queue.shift()!;
      this.#credit(size);
      if (chunk.length > 0) this.events.data(chunk);
    }
    if (this.#remoteEnded && this.#queue.length === 0) this.#ended();
  }

  #credit(size: number): void {
    if (this.#remoteEnded) return;
    this.#uncredited += size;
    if (this.#uncredited < this.receiveWindow / 2) return;
    this.link.send(windowUpdateFrame(this.id, this.#uncredited));
    this.#uncredited = 0;
  }

  /** The agent's side has ended: once its data is handed on, so has the stream. */
  #ended(): void {
    this.#remoteEnded = true;
    if (this.closed || this.#queue.length > 0) return;
    // An answer before the whole request was sent: the rest is not wanted (RFC 9113, 8.1).
    if (this.body !== undefined) this.link.send(rstStreamFrame(this.id, H2Error.NO_ERROR));
    this.#close();
  }

  #close(): void {
    this.closed = true;
    this.body = undefined;
    this.#queue.length = 0;
    this.link.closed(this);
    this.events.close();
  }
}
