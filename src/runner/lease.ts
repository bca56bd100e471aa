// A lock lease from the client side: one AcquireLocks stream, waited for with progress and a
// timeout, held until release() (or until the stream ends, which the caller learns via `lost`).
import type { UnitSyncClient } from "../client/client.js";
import { ExitCode } from "../client/exit-codes.js";
import { formatDuration, formatLimit } from "./duration.js";
import type { AcquireLocksResponse, LockBlocker } from "../../gen/unitsync/v1/unitsync_pb.js";
import { RunnerError } from "./wait-to-start.js";

export interface LockArg {
  name: string;
  /** 0: whatever the lock has (1 for a new lock). */
  capacity: number;
}

/** A failure to take a lease that the caller reports as one line with this exit code. */
export class LeaseError extends RunnerError {}

/**
 * `dpkg`, `builds:2`, `a,b` (repeatable) → lock specs. A trailing `:N` is the capacity; any other
 * colon belongs to the name.
 */
export function parseLocks(values: string | number | readonly (string | number)[] | undefined): LockArg[] {
  const list = values === undefined ? [] : Array.isArray(values) ? values : [values];
  return list
    .flatMap((v) => String(v).split(","))
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((text) => {
      const match = /^(.*):(\d+)$/.exec(text);
      if (!match) return { name: text, capacity: 0 };
      const capacity = Number(match[2]);
      if (capacity < 1) throw new LeaseError(`lock "${text}": capacity must be at least 1`, ExitCode.usage);
      return { name: match[1]!, capacity };
    });
}

export interface LeaseOptions {
  locks: readonly LockArg[];
  /** The unit the lease is for ("" when none). */
  unit?: string;
  /** Bound on the wait; 0: none. Once granted the lease has no deadline. */
  timeoutMs: number;
  /** Aborting it gives up the wait (or releases the lease). */
  signal?: AbortSignal;
  /** Progress lines: who holds what the request waits for, and when it is granted. */
  progress?: (line: string) => void;
  /** How the timeout reads in the timeout error (the caller's --timeout); default: timeoutMs. */
  timeoutLabel?: string;
  /** Default: a random UUID. */
  leaseId?: string;
}

export interface Lease {
  readonly leaseId: string;
  readonly locks: string[];
  readonly waitedMs: number;
  /** Resolves when the lease ends without release() (agent gone or shutting down), with why. */
  readonly lost: Promise<Error>;
  /** Gives the locks back at once. Idempotent. */
  release(): void;
}

const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(", ");

/** One progress line per lock the request waits for, as `run` and `lock` print them. */
export function describeBlocker(b: LockBlocker): string {
  const held = b.heldBy.length > 0 ? `, held by ${quoted(b.heldBy)}` : "";
  const ahead = b.queuedAhead > 0 ? ` (${b.queuedAhead} queued ahead)` : "";
  return `waiting for lock "${b.lock}"${held}${ahead}`;
}

/** Opens a lease and resolves once it is granted. Throws LeaseError (exit 4) at the timeout. */
export async function acquireLease(client: UnitSyncClient, options: LeaseOptions): Promise<Lease> {
  const names = options.locks.map((l) => l.name);
  if (names.length === 0) throw new LeaseError("no locks given; name at least one, as in: dpkg or builds:2", ExitCode.usage);
  const leaseId = options.leaseId ?? globalThis.crypto.randomUUID() // loaded only when a lock is taken;
  const say = options.progress ?? (() => {});
  const call = new AbortController();
  let released = false;
  let timedOut = false;
  const timer = options.timeoutMs > 0 ? setTimeout(() => ((timedOut = true), call.abort()), options.timeoutMs) : undefined;
  const onAbort = () => call.abort();
  if (options.signal?.aborted) call.abort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });
  const stream = client.acquireLocks(
    { leaseId, unit: options.unit ?? "", pid: process.pid, locks: options.locks.map((l) => ({ name: l.name, capacity: l.capacity })) },
    { signal: call.signal },
  );
  const messages = stream[Symbol.asyncIterator]();
  let blockers: LockBlocker[] = [];
  const cleanUp = () => {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  };
  let granted: Extract<AcquireLocksResponse["event"], { case: "granted" }>["value"] | undefined;
  try {
    while (!granted) {
      const next = await messages.next();
      if (next.done) throw new LeaseError(`lock ${quoted(names)}: the agent ended the request`, ExitCode.unreachable);
      const event = next.value.event;
      if (event.case === "queued") {
        blockers = event.value.blockers;
        for (const b of blockers) say(describeBlocker(b));
      } else if (event.case === "granted") granted = event.value;
    }
  } catch (error) {
    cleanUp();
    call.abort();
    if (timedOut) {
      const held = blockers.flatMap((b) => b.heldBy);
      throw new LeaseError(
        `timeout waiting for lock ${quoted(names)} after ${options.timeoutLabel ?? formatLimit(options.timeoutMs)}${held.length > 0 ? `; held by ${quoted([...new Set(held)])}` : ""}`,
        ExitCode.timeout,
      );
    }
    throw error;
  }
  clearTimeout(timer);
  const waitedMs = Number(granted.waitedMs);
  if (blockers.length > 0) say(`lock ${quoted(granted.locks)} granted after ${formatDuration(waitedMs)}`);
  // The stream stays open while the lease is held; its end without release() means the lease is gone.
  // Across an agent restart the reconnecting client asks again with the same lease id: the new
  // agent answers `granted` with `reclaimed` when it kept the lease reserved for this holder.
  // Anything else (queued, or granted anew) means the lease lapsed in between and another holder
  // may have had the locks: the lease is lost, and the new request is withdrawn.
  const lost = (async (): Promise<Error> => {
    try {
      for (;;) {
        const next = await messages.next();
        if (next.done) return new Error("the agent ended the lease");
        const event = next.value.event;
        if (event.case === "granted" && event.value.reclaimed) continue;
        call.abort();
        return new Error("the agent restarted and the lease was not kept for it (its grace period was over)");
      }
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  })();
  const release = () => {
    if (released) return;
    released = true;
    cleanUp();
    call.abort();
  };
  return { leaseId, locks: granted.locks, waitedMs, lost: lost.then((e) => (released ? new Promise<Error>(() => {}) : e)), release };
}
