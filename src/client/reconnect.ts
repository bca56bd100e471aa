// Riding out an agent restart: a client whose calls, when the agent goes away (UNAVAILABLE: a crash,
// or a stop it did not ask for, such as an upgrade's SIGTERM), are retried with backoff on a fresh
// connection for up to a reconnect window; its own cancel is never retried, and after close()
// nothing reconnects: a call still waiting to retry ends CANCELLED at once. Unary calls repeat (every state-changing verb is idempotent); a Start or
// Watch stream is opened again with the same request (a Start with its start_id resumes its wait).
import { existsSync } from "node:fs";
import type { CallOptions } from "../rpc/service.js";
import { UNITSYNC_METHODS } from "../rpc/service-methods.js";
import { CallError } from "./call-error.js";
import { type UnitSyncClient, connect } from "./client.js";
import { isUnavailable } from "./errors.js";
import { Status } from "./status-codes.js";

export interface ReconnectOptions {
  owner?: string;
  /** How long to keep trying after the agent went away; 0: never (fail at once, as before). */
  reconnectMs: number;
  /** Told once when the agent is lost and once when it answers again. */
  notice?: (line: string) => void;
}

/**
 * The agent went away, crashed or stopped: worth trying again. An agent stopped on purpose keeps
 * its journal, so the next one (an upgrade, a restart) serves the same state.
 */
export const isReconnectable = (error: unknown): boolean => isUnavailable(error);

/** Resolves after `ms`, or at once when `signal` aborts (no timer is left behind). */
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });

export function connectReconnecting(socketPath: string, options: ReconnectOptions): UnitSyncClient {
  const fresh = () => connect(socketPath, { ...(options.owner ? { owner: options.owner } : {}), separate: true });
  let current = fresh();
  if (options.reconnectMs <= 0) return current;
  let everAnswered = false;
  let lostSince: number | undefined;
  const notice = options.notice ?? (() => {});
  /** Aborts on close(): from then on no call reconnects. */
  const closed = new AbortController();
  const closedError = () => new CallError(Status.CANCELLED, "the client is closed");

  /** After a failure: waits and reconnects if worth it, or rethrows. */
  const recover = async (error: unknown, attempt: number, startedAt: number): Promise<void> => {
    if (closed.signal.aborted) throw closedError();
    // No agent has ever answered and none left a socket behind: nobody is running one; say so at once.
    if (!isReconnectable(error) || (!everAnswered && lostSince === undefined && !existsSync(socketPath))) throw error;
    const now = Date.now();
    if (lostSince === undefined) {
      lostSince = now;
      notice(`lost the agent on ${socketPath}; reconnecting for up to ${Math.round(options.reconnectMs / 1000)}s`);
    }
    if (now - Math.max(lostSince, startedAt) >= options.reconnectMs) throw error;
    await sleep(Math.min(1_000, 25 * 2 ** Math.min(attempt, 6)), closed.signal);
    if (closed.signal.aborted) throw closedError();
    current.close();
    current = fresh();
  };
  const answered = () => {
    everAnswered = true;
    if (lostSince !== undefined) {
      lostSince = undefined;
      notice(`reconnected to the agent on ${socketPath}`);
    }
  };

  const out: Record<string, unknown> = {};
  for (const method of UNITSYNC_METHODS) {
    const name = method.localName as keyof UnitSyncClient;
    if (method.kind === "unary") {
      out[name] = async (request: unknown, callOptions: CallOptions = {}) => {
        // A deadline is a span from the call: each try gets the same span.
        const span = callOptions.deadline ? callOptions.deadline.getTime() - Date.now() : undefined;
        const startedAt = Date.now();
        for (let attempt = 0; ; attempt++) {
          const deadline = span === undefined ? undefined : new Date(Date.now() + span);
          try {
            const call = current[name] as (r: unknown, o: CallOptions) => Promise<unknown>;
            const response = await call(request, { ...callOptions, ...(deadline ? { deadline } : {}) });
            answered();
            return response;
          } catch (error) {
            if (callOptions.signal?.aborted) throw error;
            await recover(error, attempt, startedAt);
          }
        }
      };
    } else if (method.kind === "server_streaming") {
      out[name] = (request: unknown, callOptions: CallOptions = {}) =>
        (async function* () {
          const startedAt = Date.now();
          for (let attempt = 0; ; attempt++) {
            try {
              const open = current[name] as (r: unknown, o: CallOptions) => AsyncIterable<unknown>;
              for await (const message of open(request, callOptions)) {
                answered();
                attempt = 0;
                yield message;
              }
              return;
            } catch (error) {
              if (callOptions.signal?.aborted) throw error;
              await recover(error, attempt, startedAt);
            }
          }
        })();
    }
  }
  return Object.assign(out as unknown as UnitSyncClient, {
    socketPath,
    close: () => {
      closed.abort();
      current.close();
    },
  });
}
