// gRPC calls over HTTP/2 on the agent's Unix socket (h2-session.ts): one connection (renewed
// when it is lost, drained or has spent its reset budget), deadlines, cancels, and each call's end
// as exactly one status.
import { CallError, CallMetadata, statusOf } from "./call-error.js";
import { FrameError, FrameReader } from "./grpc-frames.js";
import { H2Error, H2Session, type H2Stream } from "./h2-session.js";
import type { HeaderBlock } from "./hpack.js";
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

/** One HTTP/2 connection and the calls open on it (its session counts them). */
class Connection {
  readonly session: H2Session;
  readonly budget = new ResetBudget();
  /** No new calls here: the agent said GOAWAY, the budget ran low, or the channel closed. */
  draining = false;
  /** Why the connection ended, once it has. */
  lost: string | undefined;

  constructor(socketPath: string, onClose: (c: Connection) => void) {
    this.session = new H2Session(socketPath, {
      goaway: () => this.drain(),
      close: (reason) => {
        this.lost ??= reason ?? "the agent closed the connection";
        onClose(this);
      },
    });
  }

  get usable(): boolean {
    return !this.draining && this.lost === undefined && !this.session.destroyed && !this.session.goneAway;
  }

  /** A call began: the connection keeps the process alive while it has calls open. */
  began(): void {
    this.session.ref();
  }

  ended(): void {
    if (this.session.open === 0 && !this.session.destroyed) this.session.unref();
  }

  /** Takes no new calls; the session closes once its calls have ended. */
  drain(): void {
    this.draining = true;
    if (!this.session.destroyed) this.session.close();
  }
}

/** Why a stream ended without a status: the connection's fate, or the agent's RST_STREAM. */
function endWithoutStatus(connection: Connection, stream: H2Stream): CallError {
  if (connection.session.destroyed || connection.lost !== undefined || stream.rstCode === H2Error.REFUSED_STREAM) {
    return new CallError(Status.UNAVAILABLE, connection.lost ?? connection.session.reason ?? "the agent closed the connection");
  }
  switch (stream.rstCode) {
    case H2Error.CANCEL:
      return new CallError(Status.CANCELLED, "the agent cancelled the call");
    case H2Error.ENHANCE_YOUR_CALM:
      return new CallError(Status.RESOURCE_EXHAUSTED, "the agent refused the call (ENHANCE_YOUR_CALM)");
    case H2Error.NO_ERROR:
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
    if (current?.usable && current.budget.allows(current.session.open + 1)) return current;
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
    let stream: H2Stream | undefined;
    let connection: Connection | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error: CallError | undefined, reset: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      if (stream && reset && !stream.closed) {
        connection!.budget.spend();
        stream.cancel(H2Error.CANCEL);
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
      ? new CallError(Status.CANCELLED, "the client is closed") // ended here, not by the agent: not worth a retry
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
    const headers: [string, string][] = [
      [":method", "POST"],
      [":scheme", "http"],
      [":path", path],
      [":authority", "localhost"],
      ["content-type", "application/grpc"],
      ["te", "trailers"],
      ...Object.entries(this.headers),
    ];
    if (Number.isFinite(remaining)) headers.push(["grpc-timeout", grpcTimeout(remaining)]);
    const on = connection;
    const reader = new FrameReader();
    let status: ReturnType<typeof statusOf>;
    const onHeaders = (block: HeaderBlock) => {
      status ??= statusOf(block);
      const raw = block[":status"] ?? "200";
      const http = Number(Array.isArray(raw) ? raw[0] : raw);
      if (status === undefined && http !== 200) {
        status = { code: Status.UNKNOWN, details: `the agent answered HTTP status ${http}`, metadata: new CallMetadata() };
      }
    };
    const onData = (chunk: Buffer) => {
      if (done) return;
      let messages: Uint8Array[];
      try {
        messages = reader.push(chunk);
      } catch (error) {
        finish(new CallError(Status.INTERNAL, error instanceof FrameError ? error.message : String(error)), true);
        return;
      }
      for (const message of messages) if (!done) handlers.onMessage(message);
    };
    const onClose = () => {
      on.ended();
      if (status === undefined) return finish(endWithoutStatus(on, stream!), false);
      if (status.code !== Status.OK) return finish(new CallError(status.code, status.details, status.metadata), false);
      if (reader.partial) return finish(new CallError(Status.INTERNAL, "the agent's answer ended inside a message"), false);
      finish(undefined, false);
    };
    try {
      stream = connection.session.request(headers, body, { headers: onHeaders, data: onData, close: onClose });
    } catch (error) {
      connection.drain();
      process.nextTick(() => finish(new CallError(Status.UNAVAILABLE, error instanceof Error ? error.message : String(error)), false));
      return call;
    }
    on.began();
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
