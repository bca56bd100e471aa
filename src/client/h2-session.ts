// One HTTP/2 client connection over a Unix socket, written on node:net: node:http2 would cost
// every CLI call ~10 ms of loading (it brings http, tls and crypto). It does what gRPC calls need
// (RFC 9113): requests with a body, responses with trailers, both flow-control windows, SETTINGS,
// PING, GOAWAY, RST_STREAM, CONTINUATION; push is refused in SETTINGS.
import { type Socket, connect } from "node:net";
import {
  DEFAULT_FRAME_SIZE,
  DEFAULT_WINDOW,
  Flag,
  type Frame,
  FrameSplitter,
  FrameType,
  H2Error,
  H2ProtocolError,
  MAX_WINDOW,
  PREFACE,
  Setting,
  frame,
  readSettings,
  settingsFrame,
  unpadded,
  windowUpdateFrame,
} from "./h2-frames.js";
import { H2Stream, type StreamEvents } from "./h2-stream.js";
import { HpackDecoder, HpackError, encodeHeaders } from "./hpack.js";

export { H2Error } from "./h2-frames.js";
export type { H2Stream, StreamEvents } from "./h2-stream.js";

/**
 * What each stream may have in flight towards the client before it reads: HTTP/2's default, as
 * node:http2 has it. A client that stops reading (watch behind a full pipe) soon leaves the rest
 * waiting in the agent, whose stream budget then ends the stream, rather than in the client.
 */
const STREAM_WINDOW = DEFAULT_WINDOW;
/** Far more than any answer of the agent's carries in its headers or trailers. */
const MAX_HEADER_BLOCK = 1 << 18;
/**
 * The connection's window, credited back as frames arrive: HTTP/2 starts it at 64 KiB for all
 * streams together, and with hundreds of streams woken at once the agent would stop after every
 * 64 KiB until this process had read them all. Each stream's own window is what pushes back.
 */
const CONNECTION_WINDOW = 1 << 24;

export interface SessionEvents {
  /** The agent said GOAWAY: streams it will not serve have been closed as refused. */
  goaway(): void;
  /** The connection is gone; `reason` says why when it did not end in order. */
  close(reason: string | undefined): void;
}

export class H2Session {
  readonly #socket: Socket;
  readonly #streams = new Map<number, H2Stream>();
  /** Streams with request body still to send. */
  readonly #sending = new Set<H2Stream>();
  readonly #decoder = new HpackDecoder();
  readonly #frames = new FrameSplitter();
  #out: Buffer[] = [];
  #nextId = 1;
  /** The agent's settings that shape what the client sends. */
  #peerWindow = DEFAULT_WINDOW;
  #peerFrameSize = DEFAULT_FRAME_SIZE;
  /** Bytes the client may still send on the connection, and received bytes not yet credited back. */
  #sendWindow = DEFAULT_WINDOW;
  #received = 0;
  /** A header block in pieces: its stream, whether it ends the stream, and the pieces so far. */
  #continuing: { stream: number; endStream: boolean; pieces: Buffer[]; size: number } | undefined;
  #closing = false;
  #reason: string | undefined;
  destroyed = false;
  goneAway = false;

  constructor(socketPath: string, readonly events: SessionEvents) {
    this.#socket = connect(socketPath);
    this.#send(PREFACE);
    this.#send(settingsFrame([[Setting.ENABLE_PUSH, 0], [Setting.INITIAL_WINDOW_SIZE, STREAM_WINDOW]]));
    this.#send(windowUpdateFrame(0, CONNECTION_WINDOW - DEFAULT_WINDOW));
    this.#socket.on("data", (chunk: Buffer) => this.#read(chunk));
    this.#socket.on("error", (error: Error) => (this.#reason ??= error.message));
    this.#socket.on("close", () => this.#lost());
  }

  /** Why the connection failed, when the socket said. */
  get reason(): string | undefined {
    return this.#reason;
  }

  get open(): number {
    return this.#streams.size;
  }

  /** Opens a stream: the header block, then `body` as DATA that ends the client's side. */
  request(headers: readonly (readonly [string, string])[], body: Buffer, events: StreamEvents): H2Stream {
    if (this.destroyed || this.#closing || this.goneAway) throw new Error("the connection takes no new calls");
    const id = this.#nextId;
    this.#nextId += 2;
    if (this.#nextId > MAX_WINDOW) this.goneAway = true; // stream ids spent: the next call opens a new connection
    const stream = new H2Stream(id, this.#peerWindow, STREAM_WINDOW, events, {
      send: (f) => this.#send(f),
      closed: (s) => this.#closed(s),
    });
    this.#streams.set(id, stream);
    this.#sendHeaders(id, encodeHeaders(headers));
    stream.body = body;
    this.#sending.add(stream);
    this.#pump();
    return stream;
  }

  ref(): void {
    this.#socket.ref();
  }

  unref(): void {
    this.#socket.unref();
  }

  /** Takes no new streams; the connection ends once the open ones have. */
  close(): void {
    this.#closing = true;
    if (this.#streams.size === 0) this.#end();
  }

  #end(): void {
    if (this.destroyed || this.#socket.writableEnded) return;
    this.#send(frame(FrameType.GOAWAY, 0, 0, Buffer.alloc(8)));
    this.#flush();
    this.#socket.end();
    this.#socket.unref(); // nothing is awaited any more: an agent that never closes its side holds no process
  }

  /** Frames go out together once per turn of the event loop: one write for a call's HEADERS and DATA. */
  #send(bytes: Buffer): void {
    if (this.#out.push(bytes) === 1) process.nextTick(() => this.#flush());
  }

  #flush(): void {
    if (this.#out.length === 0) return;
    const out = this.#out.length === 1 ? this.#out[0]! : Buffer.concat(this.#out);
    this.#out = [];
    // Once the client has ended its side, an ACK to a late PING or SETTINGS has nowhere to go.
    if (!this.destroyed && !this.#socket.writableEnded) this.#socket.write(out);
  }

  #sendHeaders(id: number, block: Buffer): void {
    for (let at = 0; at === 0 || at < block.length; at += this.#peerFrameSize) {
      const piece = block.subarray(at, at + this.#peerFrameSize);
      const last = at + this.#peerFrameSize >= block.length;
      this.#send(frame(at === 0 ? FrameType.HEADERS : FrameType.CONTINUATION, last ? Flag.END_HEADERS : 0, id, piece));
    }
  }

  /** Sends what the windows allow of every request body still waiting. */
  #pump(): void {
    for (const stream of this.#sending) {
      this.#sendWindow -= stream.sendBody(this.#sendWindow, this.#peerFrameSize);
      if (stream.body === undefined) this.#sending.delete(stream);
      if (this.#sendWindow <= 0) return;
    }
  }

  #closed(stream: H2Stream): void {
    this.#streams.delete(stream.id);
    this.#sending.delete(stream);
    if (this.#closing && this.#streams.size === 0) this.#end();
  }

  #read(chunk: Buffer): void {
    try {
      for (const f of this.#frames.push(chunk)) this.#frame(f);
    } catch (error) {
      if (!(error instanceof H2ProtocolError || error instanceof HpackError)) throw error;
      const code = error instanceof HpackError ? H2Error.COMPRESSION_ERROR : H2Error.PROTOCOL_ERROR;
      const payload = Buffer.alloc(8);
      payload.writeUInt32BE(code, 4);
      this.#send(frame(FrameType.GOAWAY, 0, 0, payload));
      this.#flush();
      this.#reason ??= `the agent broke HTTP/2: ${error.message}`;
      this.#socket.destroy();
    }
  }

  #frame(f: Frame): void {
    if (this.#continuing && (f.type !== FrameType.CONTINUATION || f.stream !== this.#continuing.stream)) {
      throw new H2ProtocolError("a header block was interrupted");
    }
    // Connection frames come on stream 0, stream frames never do (RFC 9113, section 6).
    const onConnection = f.type === FrameType.SETTINGS || f.type === FrameType.PING || f.type === FrameType.GOAWAY;
    const onStream = f.type === FrameType.DATA || f.type === FrameType.HEADERS || f.type === FrameType.RST_STREAM || f.type === FrameType.CONTINUATION;
    if ((onConnection && f.stream !== 0) || (onStream && f.stream === 0)) throw new H2ProtocolError(`frame type ${f.type} on stream ${f.stream}`);
    switch (f.type) {
      case FrameType.DATA:
        return this.#data(f);
      case FrameType.HEADERS:
        this.#continuing = { stream: f.stream, endStream: (f.flags & Flag.END_STREAM) !== 0, pieces: [unpadded(f)], size: f.payload.length };
        if (f.flags & Flag.END_HEADERS) this.#headers();
        return;
      case FrameType.CONTINUATION:
        if (!this.#continuing) throw new H2ProtocolError("CONTINUATION without HEADERS");
        this.#continuing.pieces.push(f.payload);
        if ((this.#continuing.size += f.payload.length) > MAX_HEADER_BLOCK) throw new H2ProtocolError(`a header block over ${MAX_HEADER_BLOCK} bytes`);
        if (f.flags & Flag.END_HEADERS) this.#headers();
        return;
      case FrameType.RST_STREAM:
        if (f.payload.length !== 4) throw new H2ProtocolError("RST_STREAM is not 4 bytes");
        return this.#streams.get(f.stream)?.reset(f.payload.readUInt32BE(0));
      case FrameType.SETTINGS:
        return this.#settings(f);
      case FrameType.PING:
        if (f.payload.length !== 8) throw new H2ProtocolError("PING is not 8 bytes");
        if (!(f.flags & Flag.ACK)) this.#send(frame(FrameType.PING, Flag.ACK, 0, f.payload));
        return;
      case FrameType.GOAWAY:
        return this.#goaway(f);
      case FrameType.WINDOW_UPDATE:
        return this.#windowUpdate(f);
      case FrameType.PUSH_PROMISE:
        throw new H2ProtocolError("PUSH_PROMISE, though push is off");
      default:
        return; // PRIORITY and unknown types carry nothing the client uses
    }
  }

  #data(f: Frame): void {
    // Every DATA byte counts against the connection, whatever becomes of its stream.
    this.#received += f.payload.length;
    if (this.#received >= CONNECTION_WINDOW / 2) {
      this.#send(windowUpdateFrame(0, this.#received));
      this.#received = 0;
    }
    this.#streams.get(f.stream)?.data(unpadded(f), f.payload.length, (f.flags & Flag.END_STREAM) !== 0);
  }

  /** A whole header block: decoded even for a stream the client has let go, as the table depends on it. */
  #headers(): void {
    const { stream, endStream, pieces } = this.#continuing!;
    this.#continuing = undefined;
    const block = this.#decoder.decode(pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces));
    this.#streams.get(stream)?.headers(block, endStream);
  }

  #settings(f: Frame): void {
    const settings = readSettings(f);
    if (settings === undefined) return; // an ACK of the client's own
    const window = settings.get(Setting.INITIAL_WINDOW_SIZE);
    if (window !== undefined) {
      for (const stream of this.#streams.values()) stream.sendWindow += window - this.#peerWindow;
      this.#peerWindow = window;
    }
    this.#peerFrameSize = settings.get(Setting.MAX_FRAME_SIZE) ?? this.#peerFrameSize;
    this.#send(frame(FrameType.SETTINGS, Flag.ACK, 0));
    this.#pump();
  }

  #goaway(f: Frame): void {
    if (f.payload.length < 8) throw new H2ProtocolError("GOAWAY is shorter than 8 bytes");
    const last = f.payload.readUInt32BE(0) & MAX_WINDOW;
    const code = f.payload.readUInt32BE(4);
    this.goneAway = true;
    for (const stream of [...this.#streams.values()]) if (stream.id > last) stream.reset(H2Error.REFUSED_STREAM);
    this.events.goaway();
    // A GOAWAY with an error is the end of the connection (RFC 9113, 5.4.1), whatever the agent does next.
    if (code !== H2Error.NO_ERROR) {
      this.#reason ??= `the agent closed the connection (GOAWAY code ${code})`;
      this.#socket.destroy();
    }
  }

  #windowUpdate(f: Frame): void {
    if (f.payload.length !== 4) throw new H2ProtocolError("WINDOW_UPDATE is not 4 bytes");
    const increment = f.payload.readUInt32BE(0) & MAX_WINDOW;
    if (increment === 0) throw new H2ProtocolError("WINDOW_UPDATE of 0");
    const grown = (window: number) => {
      if (window + increment > MAX_WINDOW) throw new H2ProtocolError("a flow-control window past 2^31-1");
      return window + increment;
    };
    const stream = this.#streams.get(f.stream);
    if (f.stream === 0) this.#sendWindow = grown(this.#sendWindow);
    else if (stream) stream.sendWindow = grown(stream.sendWindow);
    this.#pump();
  }

  /** The socket closed: streams the agent had not finished end without a status. */
  #lost(): void {
    this.destroyed = true;
    this.#out = [];
    for (const stream of [...this.#streams.values()]) stream.lost();
    this.events.close(this.#reason);
  }

  /** Ends the connection at once. */
  destroy(): void {
    this.#socket.destroy();
  }
}
