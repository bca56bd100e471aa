// The processes behind units run by `run` or `up`: what each unit's runner last reported (pid,
// phase, readiness checks, how it ended), kept beside the registry and composed with it at the
// agent. The model: a unit's status says whether its start-up work is done (a service is completed
// once ready, and its dependents are released then); the process state says what its command is
// doing now, so a service that crashes after ready stays completed while its process reads exited.
import { InvalidArgument } from "./errors.js";

export type ProcessPhase = "starting" | "running" | "exited" | "retry-wait";

export interface CheckView {
  readonly check: string;
  readonly passed: boolean;
  readonly passedAt?: number;
  readonly lastError: string;
}

export interface ProcessView {
  readonly phase: ProcessPhase;
  readonly pid: number;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly checks: readonly CheckView[];
  readonly startedAt?: number;
  readonly readyAt?: number;
  readonly exitedAt?: number;
  readonly exitCode: number;
  readonly exitReason: string;
  readonly retryAt?: number;
}

export type ProcessEventKind = "process-started" | "process-checked" | "process-ready" | "process-exited" | "process-retrying";

/** What a report changed, as events for the shared log: the kind, a reason line, and flat details. */
export interface ProcessChange {
  readonly kind: ProcessEventKind;
  readonly reason: string;
  readonly detail: Readonly<Record<string, string | number | boolean>>;
}

export const MAX_CHECKS = 32;

export class Processes {
  private readonly byUnit = new Map<string, ProcessView>();

  constructor(private readonly limits: { textLength: number }) {}

  get(unit: string): ProcessView | undefined {
    return this.byUnit.get(unit);
  }

  /** Every unit with a reported process. */
  get size(): number {
    return this.byUnit.size;
  }

  /** Records `next` for `unit` (a registered unit: the caller checks); returns what changed, in order. */
  report(unit: string, next: ProcessView): ProcessChange[] {
    this.validate(next);
    const previous = this.byUnit.get(unit);
    this.byUnit.set(unit, next);
    const sameRun = previous !== undefined && previous.attempt === next.attempt && previous.pid === next.pid;
    const changes: ProcessChange[] = [];
    const base = { pid: next.pid, attempt: next.attempt, max_attempts: next.maxAttempts, phase: next.phase };
    const add = (kind: ProcessEventKind, reason: string, detail: Record<string, string | number | boolean> = {}) =>
      changes.push({ kind, reason, detail: { ...base, ...detail } });
    if (!sameRun && next.pid > 0 && next.phase !== "retry-wait") {
      add("process-started", `pid ${next.pid}, attempt ${next.attempt} of ${next.maxAttempts}`);
    }
    for (const check of next.checks) {
      const before = sameRun ? previous.checks.find((c) => c.check === check.check) : undefined;
      if (check.passed && !before?.passed) add("process-checked", `${check.check} passed`, { check: check.check, passed: true });
      else if (!check.passed && check.lastError && check.lastError !== before?.lastError) {
        add("process-checked", `${check.check}: ${check.lastError}`, { check: check.check, passed: false, error: check.lastError });
      }
    }
    if (next.readyAt !== undefined && next.checks.length > 0 && !(sameRun && previous.readyAt !== undefined)) {
      add("process-ready", next.checks.map((c) => c.check).join(", "));
    }
    const phaseChanged = !sameRun || previous.phase !== next.phase;
    if (next.phase === "exited" && phaseChanged) {
      add("process-exited", next.exitReason || "exit status 0", { exit_code: next.exitCode, exit_reason: next.exitReason });
    }
    if (next.phase === "retry-wait" && (previous?.phase !== "retry-wait" || previous.attempt !== next.attempt)) {
      add("process-retrying", `attempt ${next.attempt} of ${next.maxAttempts} failed: ${next.exitReason}`, {
        exit_code: next.exitCode,
        exit_reason: next.exitReason,
      });
    }
    return changes;
  }

  private validate(next: ProcessView): void {
    const long = (what: string, text: string) => {
      if (text.length > this.limits.textLength) throw new InvalidArgument(`${what} is ${text.length} characters; the limit is ${this.limits.textLength}`);
    };
    if (next.checks.length > MAX_CHECKS) throw new InvalidArgument(`${next.checks.length} readiness checks; the limit is ${MAX_CHECKS}`);
    if (next.attempt < 1 || next.maxAttempts < next.attempt) {
      throw new InvalidArgument(`attempt ${next.attempt} of ${next.maxAttempts}: the attempt must be between 1 and max_attempts`);
    }
    long("exit reason", next.exitReason);
    for (const check of next.checks) {
      if (!check.check) throw new InvalidArgument("a readiness check has no name; give it as written, such as tcp:8080");
      long("readiness check", check.check);
      long("readiness error", check.lastError);
    }
  }
}
