// One attempt of a unit's command: spawn it as a process group, wait for its readiness checks
// within the ready timeout, bound it by the run timeout, and say how it ended.
import type { StdioOptions } from "node:child_process";
import { formatLimit } from "./duration.js";
import { OutputTap, type OutputDestination } from "./output-tap.js";
import { type ProcessEnd, exitedPhrase, spawnGroup } from "./process-group.js";
import type { CheckContext, ReadinessCheck } from "./readiness/check.js";
import type { CheckDefinition } from "./readiness/parse-check.js";
import { type CheckState, Readiness, createCheck } from "./readiness/readiness.js";

export interface AttemptOptions {
  command: readonly string[];
  env: Record<string, string | undefined>;
  cwd?: string;
  stdio: OutputDestination;
  checks: readonly CheckDefinition[];
  /** Checks built by the caller (notify, with its socket), waited on with the others. */
  extraChecks?: readonly ReadinessCheck[];
  readyTimeoutMs: number;
  runTimeoutMs: number;
  graceMs: number;
  onSpawn?(pid: number, at: number): void;
  onChecks?(states: CheckState[]): void;
  onReady?(at: number): void;
}

export interface AttemptResult {
  /** The attempt did its start-up work: the step exited 0, or the service passed every check. */
  ready: boolean;
  readyAt?: number;
  /** Why the attempt failed ("" when ready): the unit's failure reason. */
  reason: string;
  /** How the process ended: "exit status 1", "killed by SIGTERM", "timed out after 1s" ("" for exit 0). */
  processReason: string;
  /** What `run` exits with for this attempt. */
  exitCode: number;
  end: ProcessEnd;
}

export interface Attempt {
  readonly pid: number | undefined;
  readonly result: Promise<AttemptResult>;
  /** Sends a signal to the attempt's process group. */
  signal(signal: NodeJS.Signals): void;
  /** Stops the attempt (SIGTERM, grace, SIGKILL); `reason` becomes its failure reason if not yet ready. */
  stop(reason: string, graceMs: number): Promise<void>;
}

function stdioFor(destination: OutputDestination, tapped: boolean): StdioOptions {
  const stdin = destination === "inherit" ? "inherit" : "ignore";
  if (tapped) return [stdin, "pipe", "pipe"];
  return destination === "inherit" ? "inherit" : ["ignore", destination.fd, destination.fd];
}

export function startAttempt(options: AttemptOptions): Attempt {
  const tapped = options.checks.some((c) => c.kind === "log");
  const listeners = new Set<(line: string) => void>();
  const context: CheckContext = {
    env: options.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
    onLine: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const checks = [...options.checks.map((d) => createCheck(d, context)), ...(options.extraChecks ?? [])];
  const proc = spawnGroup(options.command, { env: options.env, ...(options.cwd ? { cwd: options.cwd } : {}), stdio: stdioFor(options.stdio, tapped) });
  const tap = tapped ? new OutputTap(proc.child, options.stdio) : undefined;
  tap?.onLine((line) => {
    for (const listener of listeners) listener(line);
  });
  if (proc.pid !== undefined) options.onSpawn?.(proc.pid, Date.now());

  let stopReason: string | undefined;
  let timedOut = false;
  let notReady = false;
  let runTimer: NodeJS.Timeout | undefined;
  if (options.runTimeoutMs > 0 && proc.pid !== undefined) {
    runTimer = setTimeout(() => {
      timedOut = true;
      void proc.stop(options.graceMs);
    }, options.runTimeoutMs);
  }

  const result = (async (): Promise<AttemptResult> => {
    const readiness = new Readiness(checks, (states) => options.onChecks?.(states));
    let readyAt: number | undefined;
    let pendingAtEnd = "";
    let pendingErrors = "";
    if (checks.length > 0 && proc.pid !== undefined) {
      const waiting = new AbortController();
      const readyTimer =
        options.readyTimeoutMs > 0
          ? setTimeout(() => {
              notReady = true;
              pendingErrors = readiness.pendingWithErrors();
              waiting.abort(new Error("not ready in time"));
              void proc.stop(options.graceMs);
            }, options.readyTimeoutMs)
          : undefined;
      const exited = proc.ended.then(() => "exited" as const);
      try {
        const first = await Promise.race([readiness.wait(waiting.signal).then(() => "ready" as const), exited]);
        if (first === "ready" && !stopReason && !timedOut) {
          readyAt = Date.now();
          options.onReady?.(readyAt);
        }
      } catch {
        // aborted: not ready in time, or stopped
      } finally {
        clearTimeout(readyTimer);
        pendingAtEnd = readiness.pending();
        waiting.abort();
      }
    } else {
      for (const check of checks) check.close?.();
    }
    const end = await proc.ended;
    clearTimeout(runTimer);
    // Output still held by the group's other processes is not waited for: run ends with its command.
    if (tap) await Promise.race([tap.closed, new Promise((r) => setTimeout(r, 100))]).then(() => tap.detach());
    const timeoutReason = `timed out after ${formatLimit(options.runTimeoutMs)}`;
    const processReason = timedOut ? timeoutReason : end.reason;
    const exitCode = timedOut ? 124 : end.exitCode;
    if (checks.length === 0 && !stopReason && !timedOut && end.exitCode === 0 && !end.reason) {
      return { ready: true, readyAt: end.at, reason: "", processReason, exitCode, end };
    }
    if (readyAt !== undefined) return { ready: true, readyAt, reason: "", processReason, exitCode, end };
    if (timedOut) return { ready: false, reason: timeoutReason, processReason, exitCode, end };
    if (notReady) {
      return { ready: false, reason: `not ready after ${formatLimit(options.readyTimeoutMs)}: ${pendingErrors}`, processReason, exitCode: 4, end };
    }
    if (stopReason !== undefined) return { ready: false, reason: stopReason, processReason, exitCode, end };
    if (checks.length > 0 && proc.pid !== undefined) {
      // A service that ends before it is ready failed, even with status 0.
      return { ready: false, reason: `${exitedPhrase(end)} before ready (${pendingAtEnd})`, processReason, exitCode: exitCode || 1, end };
    }
    return { ready: false, reason: end.reason, processReason, exitCode, end };
  })();

  return {
    pid: proc.pid,
    result,
    signal: (signal) => proc.signal(signal),
    stop: async (reason, graceMs) => {
      stopReason ??= reason;
      await proc.stop(graceMs);
      await result;
    },
  };
}
