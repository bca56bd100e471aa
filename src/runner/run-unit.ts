// Runs one command as one unit over an existing client: declare, wait for the dependencies, run
// (a process group per attempt), become ready (exit 0, or every readiness check passed), retry
// failed attempts with a doubling delay, and record the outcome. Shared by `run` and `up -f`.
import { constants } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import { SHORT_DEADLINE_MS, type UnitSyncClient, deadlineIn } from "../client/client.js";
import { describeFailure, isShuttingDown, isUnavailable } from "../client/errors.js";
import { ExitCode } from "../client/exit-codes.js";
import { conditionToProto } from "../rpc/enums.js";
import { type Attempt, type AttemptResult, startAttempt } from "./attempt.js";
import { formatDuration, formatLimit } from "./duration.js";
import { ProcessReporter } from "./process-report.js";
import { type NotifyCheck, openNotifyCheck } from "./readiness/notify-check.js";
import type { CheckDefinition } from "./readiness/parse-check.js";
import { retryDelay } from "./retry-delay.js";
import { RunnerError, waitToStart } from "./wait-to-start.js";
import { type Lease, type LockArg, acquireLease, parseLocks } from "./lease.js";
import { type UnitHandle, type UnitOutcome, type UnitSpec, DEFAULT_GRACE_MS, parseChecks } from "./unit-spec.js";

// The contract lives in unit-spec.ts; re-exported so `run-unit.js` stays one import for callers.
export { type UnitHandle, type UnitOutcome, type UnitSpec, DEFAULT_GRACE_MS, parseChecks } from "./unit-spec.js";

export function runUnit(client: UnitSyncClient, spec: UnitSpec): UnitHandle {
  return new UnitRun(client, spec, parseChecks(spec.ready)).handle;
}

class UnitRun {
  readonly handle: UnitHandle;
  private phase: "waiting" | "running" | "pausing" | "done" = "waiting";
  /** Ends the dependency wait or the pause between attempts. */
  private readonly interrupt = new AbortController();
  private attempt: Attempt | undefined;
  private interrupted: NodeJS.Signals | undefined;
  private stopReason: string | undefined;
  private coordinated = true;
  private settle!: (outcome: UnitOutcome) => void;
  private exit!: (code: number) => void;
  private attemptsMade = 0;
  private report: ProcessReporter | undefined;
  private completing: Promise<void> | undefined;
  private readonly locks: LockArg[];
  /** The locks of the current attempt, held from before its command runs until it exits (or is ready). */
  private lease: Lease | undefined;
  /** When the dependency wait began: --timeout bounds it and the lock wait together. */
  private waitBegan = Date.now();

  constructor(
    private readonly client: UnitSyncClient,
    private readonly spec: UnitSpec,
    private readonly checks: CheckDefinition[],
  ) {
    this.locks = parseLocks(spec.locks);
    const settled = new Promise<UnitOutcome>((resolve) => (this.settle = resolve));
    const exited = new Promise<number>((resolve) => (this.exit = resolve));
    this.handle = {
      settled,
      exited,
      pid: () => (this.phase === "running" ? this.attempt?.pid : undefined),
      stop: (reason, graceMs) => this.stop(reason, graceMs),
      signal: (signal) => this.signal(signal),
    };
    void this.drive().catch((error) => {
      this.warn(`unexpected error: ${error instanceof Error ? error.message : String(error)}`);
      this.finish({ ok: false, reason: "unitsync failed", exitCode: ExitCode.failed });
    });
  }

  private say(line: string) {
    this.spec.progress?.(line);
  }

  private warn(line: string) {
    this.spec.warn?.(`run ${this.spec.unit}: ${line}`);
  }

  private short() {
    return { deadline: deadlineIn(SHORT_DEADLINE_MS) };
  }

  private finish(outcome: UnitOutcome, exitCode = outcome.exitCode) {
    this.releaseLocks();
    this.phase = "done";
    this.settle(outcome);
    this.exit(exitCode);
  }

  private async stop(reason: string, graceMs: number): Promise<void> {
    this.stopReason ??= reason;
    this.interrupt.abort(); // ends a wait or a pause, now or when one begins
    if (this.phase === "running") await this.attempt?.stop(reason, graceMs);
    await this.handle.exited;
  }

  private signal(signal: NodeJS.Signals): void {
    this.interrupted ??= signal;
    this.interrupt.abort();
    if (this.phase === "running") this.attempt?.signal(signal);
  }

  /** Records the outcome with the agent; a failure to do so is said, not fatal. */
  private async record(ok: boolean, reason: string): Promise<void> {
    if (!this.coordinated) return;
    try {
      if (ok) await this.client.complete({ unit: this.spec.unit }, this.short());
      else await this.client.fail({ unit: this.spec.unit, reason }, this.short());
    } catch (error) {
      this.warn(`could not report the outcome: ${describeFailure(error, this.client.socketPath).message}`);
    }
  }

  /** The reason a run that did not start gives, and its exit code; undefined when it was not stopped. */
  private notRun(): { reason: string; exitCode: number } | undefined {
    if (this.interrupted) return { reason: `interrupted by ${this.interrupted}`, exitCode: 128 + constants.signals[this.interrupted] };
    if (this.stopReason !== undefined) return { reason: this.stopReason, exitCode: 128 + constants.signals.SIGTERM };
    return undefined;
  }

  private async declareAndWait(): Promise<boolean> {
    const { unit } = this.spec;
    this.waitBegan = Date.now();
    try {
      const byCondition = new Map<string, string[]>();
      for (const { name, condition } of this.spec.after) byCondition.set(condition, [...(byCondition.get(condition) ?? []), name]);
      for (const [condition, names] of byCondition) {
        await this.client.want({ unit, dependsOn: names, condition: conditionToProto(condition as "completed") }, this.short());
      }
      await waitToStart(this.client, unit, {
        timeoutMs: this.spec.timeoutMs,
        progress: { write: (chunk: string) => this.say(chunk.replace(/\n$/, "")) },
        signal: this.interrupt.signal,
        ...(this.spec.notice ? { notice: this.spec.notice } : {}),
      });
      this.interrupt.signal.throwIfAborted(); // stopped just as the unit started: still not run
      return true;
    } catch (error) {
      if (this.spec.optional && isUnavailable(error) && !isShuttingDown(error)) {
        this.warn(`${describeFailure(error, this.client.socketPath).message}; running without coordination (--optional)`);
        this.coordinated = false;
        return true;
      }
      return this.notStarted(error);
    }
  }

  /**
   * After the dependencies, before the command: waits for the unit's locks (progress says who holds
   * them). False when they were not granted; the unit is then failed as not run.
   */
  private async takeLocks(): Promise<boolean> {
    if (this.locks.length === 0 || !this.coordinated) return true;
    const elapsed = Date.now() - this.waitBegan;
    const timeoutMs = this.spec.timeoutMs > 0 ? Math.max(1, this.spec.timeoutMs - elapsed) : 0;
    try {
      const lease = await acquireLease(this.client, {
        locks: this.locks,
        unit: this.spec.unit,
        timeoutMs,
        timeoutLabel: formatLimit(this.spec.timeoutMs),
        signal: this.interrupt.signal,
        progress: (line) => this.say(line),
      });
      this.lease = lease;
      void lease.lost.then((why) => {
        if (this.lease === lease) this.warn(`its locks were lost while the command runs: ${describeFailure(why, this.client.socketPath).message}`);
      });
      this.interrupt.signal.throwIfAborted();
      return true;
    } catch (error) {
      this.releaseLocks();
      return this.notStarted(error);
    }
  }

  /** Gives the locks back: the command exited, or the service is ready. */
  private releaseLocks(): void {
    const lease = this.lease;
    this.lease = undefined;
    lease?.release();
  }

  /** The wait (for dependencies or locks) ended without the command running: record why. */
  private async notStarted(error: unknown): Promise<false> {
    {
      const stopped = this.notRun();
      if (stopped) {
        this.warn(stopped.reason);
        // Dependents fail at once instead of waiting for a unit that will never run.
        await this.record(false, `not run: ${stopped.reason}`);
        this.finish({ ok: false, reason: `not run: ${stopped.reason}`, exitCode: stopped.exitCode });
        return false;
      }
      const failure =
        error instanceof RunnerError ? { exitCode: error.exitCode, message: error.message } : describeFailure(error, this.client.socketPath);
      this.warn(failure.message);
      const reason = `not run: ${failure.message}`;
      if (failure.exitCode === ExitCode.timeout || failure.exitCode === ExitCode.dependencyFailed) await this.record(false, reason);
      this.finish({ ok: false, reason, exitCode: failure.exitCode });
      return false;
    }
  }

  private async drive(): Promise<void> {
    if (!(await this.declareAndWait())) return;
    const attempts = Math.max(0, this.spec.retries) + 1;
    const report = (this.report = new ProcessReporter(this.coordinated ? this.client : undefined, this.spec.unit, attempts));
    let last: AttemptResult | undefined;
    let pausedOut = false;
    for (let n = 1; n <= attempts; n++) {
      if (n > 1) this.waitBegan = Date.now();
      if (!(await this.takeLocks())) return;
      this.phase = "running";
      this.attemptsMade = n;
      const notify = await this.openNotify();
      if (notify instanceof Error) {
        await this.record(false, notify.message);
        this.warn(notify.message);
        this.finish({ ok: false, reason: notify.message, exitCode: ExitCode.failed });
        return;
      }
      const attempt = (this.attempt = startAttempt({
        command: this.spec.command,
        env: notify ? { ...this.spec.env, NOTIFY_SOCKET: notify.socketPath } : this.spec.env,
        ...(this.spec.cwd ? { cwd: this.spec.cwd } : {}),
        stdio: this.spec.stdio,
        checks: this.checks.filter((c) => c.kind !== "notify"),
        extraChecks: notify ? [notify.check] : [],
        readyTimeoutMs: this.spec.readyTimeoutMs,
        runTimeoutMs: this.spec.runTimeoutMs,
        graceMs: this.spec.graceMs ?? DEFAULT_GRACE_MS,
        onSpawn: (pid, at) => report.spawned(n, pid, at, this.spec.ready),
        onChecks: (states) => report.checks(states),
        onReady: (at) => void this.ready(at),
      }));
      // A signal or stop that came while the attempt was being set up still reaches it.
      if (this.interrupted) attempt.signal(this.interrupted);
      if (this.stopReason !== undefined) void attempt.stop(this.stopReason, this.spec.graceMs ?? DEFAULT_GRACE_MS);
      const result = await attempt.result;
      this.releaseLocks(); // the moment the command exits, whatever the outcome
      if (result.ready) {
        await this.ready(result.readyAt ?? result.end.at);
        report.exited(result.end.at, result.exitCode, result.processReason);
        await report.flush();
        this.phase = "done";
        this.exit(result.exitCode);
        return;
      }
      last = result;
      if (n === attempts || this.interrupted || this.stopReason !== undefined) break;
      const delay = retryDelay(this.spec.retryDelayMs, n);
      report.retrying(result.end.at, result.exitCode, result.reason, Date.now() + delay);
      await report.flush(); // the agent begins the unit's next attempt on this report: never coalesce it away
      this.phase = "pausing";
      this.say(`Unit "${this.spec.unit}" attempt ${n} of ${attempts} failed: ${result.reason}; trying again in ${formatDuration(delay)}`);
      try {
        await sleep(delay, undefined, { signal: this.interrupt.signal });
      } catch {
        pausedOut = true; // stopped or interrupted while pausing
        break;
      }
    }
    const stopped = this.notRun();
    let [reason, exitCode] = [last!.reason, last!.exitCode];
    if (pausedOut && stopped) [reason, exitCode] = [`${stopped.reason}; attempt ${this.attemptsMade} had failed: ${last!.reason}`, stopped.exitCode];
    else if (!stopped && this.attemptsMade > 1) reason = `failed after ${this.attemptsMade} attempts: ${reason}`;
    await this.record(false, reason); // first: dependents fail at once
    report.exited(last!.end.at, last!.exitCode, last!.reason);
    await report.flush();
    this.finish({ ok: false, reason, exitCode });
  }

  /** A notify check's socket for the next attempt (bound before the command starts), if it has one. */
  private async openNotify(): Promise<NotifyCheck | Error | undefined> {
    const spec = this.checks.find((c) => c.kind === "notify");
    if (!spec) return undefined;
    try {
      return await openNotifyCheck(spec.spec);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }

  /** The attempt did its start-up work: complete the unit and release its dependents (once). */
  private ready(at: number): Promise<void> {
    return (this.completing ??= (async () => {
      this.releaseLocks(); // a service holds its locks until it is ready, not for its lifetime
      await this.record(true, ""); // first: dependents wait for this, not for the report
      if (this.checks.length > 0) this.report?.ready(at);
      if (this.checks.length > 0) this.say(`Unit "${this.spec.unit}" is ready: ${this.spec.ready.join(", ")}`);
      this.settle({ ok: true, reason: "", exitCode: ExitCode.ok });
    })());
  }
}
