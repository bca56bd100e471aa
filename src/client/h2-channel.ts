// gRPC calls over HTTP/2 on the agent's Unix socket, written on node:http2 directly: one
// connection (renewed when it is lost, drained or has spent its reset budget), deadlines, cancels,
// and each call's end as exactly one status.
import { type ClientHttp2Session, type ClientHttp2Stream, type IncomingHttpHeaders, connect as connectH2, constants } from "node:http2";
import { connect as connectSocket } from "node:net";
import { CallError, CallMetadata, statusOf } from "./call-error.js";
import { FrameError, FrameReader } from "./grpc-frames.js";
import { ResetBudget } from "./reset-budget.js";
import { Status } from "./status-codes.js";

export interface CallOptions {
  /** Absolute deadline; undefined means none. */
  deadline?: Date;
  /** Cancels the call when it aborts. */
  signal?: AbortSignal;
}

export interface CallHandlers {
  onMessage(message: Uint8Array): void;
  /** Called once: undefined for OK, else the call's error. */
  onEnd(error: CallError | undefined): void;
}

export interface Call {
  /** Ends the call at once with CANCELLED (an RST_STREAM CANCEL tells the agent). */
  cancel(): void;
  /** Stop and go on reading (flow control reaches the agent). */
  pause(): void;
  resume(): void;
}

/** setTimeout's limit; a longer deadline waits in several steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** grpc-timeout: at most 8 digits and a unit. */
export function grpcTimeout(ms: number): string {
  const ceil = Math.max(0, Math.ceil(ms));
  if (ceil < 1e8) return `${ceil}m`;
  if (ceil / 1e3 < 1e8) return `${Math.ceil(ceil / 1e3)}S`;
  if (ceil / 6e4 < 1e8) return `${Math.ceil(ceil / 6e4)}M`;
  return `${Math.min(99_999_999, Math.ceil(ceil / 3.6e6))}H`;
}

/** The receive window of one connection, all its streams together. */
const CONNECTION_WINDOW_BYTES = 4 * 1024 * 1024;

/** One HTTP/2 connection and the calls open on it. */
class Connection {
  readonly session: ClientHttp2Session;
  readonly budget = new ResetBudget();
  open = 0;
  /** No new calls here: the agent said GOAWAY, the budget ran low, or the channel closed. */
  draining = false;
  /** Why the connection ended, once it has. */
  lost: string | undefined;

  constructor(socketPath: string, onClose: (c: Connection) => void) {
    this.session = connectH2("http://localhost", { createConnection: () => connectSocket(socketPath) });
    // The connection's flow-control window (HTTP/2 starts it at 64 KiB for all streams together)
    // is raised: with hundreds of streams woken at once the agent would otherwise stop after every
    // 64 KiB until this process has read them all. Each stream keeps its own 64 KiB window, so a
    // stream the caller does not read still holds the agent back.
    this.session.once("connect", () => this.session.setLocalWindowSize(CONNECTION_WINDOW_BYTES));
    this.session.on("error", (error: Error) => (this.lost ??= error.message));
    this.session.on("goaway", () => this.drain());
    this.session.once("close", () => {
      this.lost ??= "the agent closed the connection";
      onClose(this);
    });
  }

  get usable(): boolean {
    return !this.draining && this.lost === undefined && !this.session.closed && !this.session.destroyed;
  }

  began(): void {
    if (this.open++ === 0) this.session.ref();
  }

  ended(): void {
    if (--this.open > 0) return;
    if (this.draining) this.session.close();
    else if (!this.session.destroyed) this.session.unref();
  }

  /** Takes no new calls; closes once its calls have ended. */
  drain(): void {
    this.draining = true;
    if (this.open === 0 && !this.session.destroyed) this.session.close();
  }
}

/** Why a stream ended without a status: the connection's fate, or the agent's RST_STREAM. */
function endWithoutStatus(connection: Connection, stream: ClientHttp2Stream, streamError: Error | undefined): CallError {
  const cause = (streamError as { cause?: Error } | undefined)?.cause ?? streamError;
  if (connection.session.destroyed || connection.lost !== undefined || stream.rstCode === constants.NGHTTP2_REFUSED_STREAM) {
    return new CallError(Status.UNAVAILABLE, cause?.message ?? connection.lost ?? "the agent closed the connection");
  }
  switch (stream.rstCode) {
    case constants.NGHTTP2_CANCEL:
      return new CallError(Status.CANCELLED, "the agent cancelled the call");
    case constants.NGHTTP2_ENHANCE_YOUR_CALM:
      return new CallError(Status.RESOURCE_EXHAUSTED, "the agent refused the call (ENHANCE_YOUR_CALM)");
    case constants.NGHTTP2_NO_ERROR:
    case undefined:
      return new CallError(Status.INTERNAL, "the agent ended the call without a status");
    default:
      return new CallError(Status.INTERNAL, `the agent reset the call (RST_STREAM code ${stream.rstCode})`);
  }
}

export class H2Channel {
  #current: Connection | undefined;
  readonly #all = new Set<Connection>();
  #closed = false;

  constructor(
    readonly socketPath: string,
    /** Metadata sent with every call. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {}

  /** The connection for a new call: the current one while it may take it, else a new one. */
  #connection(): Connection {
    const current = this.#current;
    if (current?.usable && current.budget.allows(current.open + 1)) return current;
    current?.drain();
    const next = new Connection(this.socketPath, (c) => {
      this.#all.delete(c);
      if (this.#current === c) this.#current = undefined;
    });
    this.#all.add(next);
    this.#current = next;
    return next;
  }

  /** Starts a call of `path` with the framed request `body`. */
  call(path: string, body: Buffer, options: CallOptions, handlers: CallHandlers): Call {
    let done = false;
    let stream: ClientHttp2Stream | undefined;
    let connection: Connection | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error: CallError | undefined, reset: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      if (stream && reset && !stream.closed && !stream.destroyed) {
        connection!.budget.spend();
        stream.close(constants.NGHTTP2_CANCEL);
      }
      handlers.onEnd(error);
    };
    const onAbort = () => finish(new CallError(Status.CANCELLED, "Cancelled on client"), true);
    const call: Call = {
      cancel: onAbort,
      pause: () => stream?.pause(),
      resume: () => stream?.resume(),
    };
    const remaining = options.deadline ? options.deadline.getTime() - Date.now() : Number.POSITIVE_INFINITY;
    const early = this.#closed
      ? new CallError(Status.UNAVAILABLE, "the client is closed")
      : options.signal?.aborted
        ? new CallError(Status.CANCELLED, "Cancelled on client")
        : remaining <= 0
          ? new CallError(Status.DEADLINE_EXCEEDED, "Deadline exceeded")
          : undefined;
    if (early) {
      process.nextTick(() => finish(early, false));
      return call;
    }
    connection = this.#connection();
    const headers: Record<string, string> = {
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      ...this.headers,
    };
    if (Number.isFinite(remaining)) headers["grpc-timeout"] = grpcTimeout(remaining);
    try {
      stream = connection.session.request(headers, { endStream: false });
    } catch (error) {
      connection.drain();
      process.nextTick(() => finish(new CallError(Status.UNAVAILABLE, error instanceof Error ? error.message : String(error)), false));
      return call;
    }
    const on = connection;
    on.began();
    const reader = new FrameReader();
    let status: ReturnType<typeof statusOf>;
    let streamError: Error | undefined;
    const onHeaders = (block: IncomingHttpHeaders) => {
      status ??= statusOf(block);
      const http = Number(block[":status"] ?? 200);
      if (status === undefined && http !== 200) {
        status = { code: Status.UNKNOWN, details: `the agent answered HTTP status ${http}`, metadata: new CallMetadata() };
      }
    };
    stream.on("response", onHeaders);
    stream.on("trailers", onHeaders);
    stream.on("data", (chunk: Buffer) => {
      if (done) return;
      let messages: Uint8Array[];
      try {
        messages = reader.push(chunk);
      } catch (error) {
        finish(new CallError(Status.INTERNAL, error instanceof FrameError ? error.message : String(error)), true);
        return;
      }
      for (const message of messages) if (!done) handlers.onMessage(message);
    });
    stream.on("error", (error: Error) => (streamError ??= error));
    stream.once("close", () => {
      on.ended();
      if (status === undefined) return finish(endWithoutStatus(on, stream!, streamError), false);
      if (status.code !== Status.OK) return finish(new CallError(status.code, status.details, status.metadata), false);
      if (reader.partial) return finish(new CallError(Status.INTERNAL, "the agent's answer ended inside a message"), false);
      finish(undefined, false);
    });
    stream.end(body);
    if (Number.isFinite(remaining)) {
      const wait = (ms: number) => {
        timer = setTimeout(() => {
          const left = options.deadline!.getTime() - Date.now();
          if (left > 0) wait(left);
          else finish(new CallError(Status.DEADLINE_EXCEEDED, "Deadline exceeded"), true);
        }, Math.min(ms, MAX_TIMER_MS));
        timer.unref();
      };
      wait(remaining);
    }
    options.signal?.addEventListener("abort", onAbort, { once: true });
    return call;
  }

  /** New calls fail; open ones run to their end, then the connections close. */
  close(): void {
    this.#closed = true;
    this.#current = undefined;
    for (const connection of this.#all) connection.drain();
  }
}
