// A service's readiness: every check of its --ready list waited on at once; ready when all pass.
// Keeps each check's state (passed, or why not yet) for the agent's process report.
import type { CheckContext, ReadinessCheck } from "./check.js";
import { execCheck } from "./exec-check.js";
import { fileCheck } from "./file-check.js";
import { httpCheck } from "./http-check.js";
import { logCheck } from "./log-check.js";
import type { CheckDefinition } from "./parse-check.js";
import { tcpCheck } from "./tcp-check.js";

export interface CheckState {
  spec: string;
  passed: boolean;
  /** When it passed (ms since the epoch). */
  passedAt?: number;
  /** Why it has not passed yet; "" before its first try. */
  lastError: string;
}

export function createCheck(definition: CheckDefinition, context: CheckContext): ReadinessCheck {
  switch (definition.kind) {
    case "tcp":
      return tcpCheck(definition.spec, definition.host, definition.port);
    case "http":
      return httpCheck(definition.spec, definition.url);
    case "file":
      return fileCheck(definition.spec, definition.path, context.cwd);
    case "log":
      return logCheck(definition.spec, definition.pattern, context);
    case "exec":
      return execCheck(definition.spec, definition.command, context);
    case "notify":
      throw new Error("notify checks are created with their socket (see notify-check.ts)");
  }
}

export class Readiness {
  private readonly states: CheckState[];

  constructor(
    private readonly checks: readonly ReadinessCheck[],
    private readonly onChange: (states: CheckState[]) => void = () => {},
  ) {
    this.states = checks.map((c) => ({ spec: c.spec, passed: false, lastError: "" }));
  }

  /** Resolves when every check has passed; rejects with `signal.reason` when aborted first. */
  async wait(signal: AbortSignal): Promise<void> {
    const each = new AbortController();
    const abort = () => each.abort(signal.reason);
    signal.addEventListener("abort", abort, { once: true });
    try {
      await Promise.all(
        this.checks.map(async (check, i) => {
          const state = this.states[i]!;
          await check.wait(each.signal, (error) => {
            state.lastError = error;
            this.onChange(this.snapshot());
          });
          Object.assign(state, { passed: true, passedAt: Date.now(), lastError: "" });
          this.onChange(this.snapshot());
        }),
      );
    } catch (error) {
      each.abort(error); // one check that cannot go on stops the others
      throw signal.aborted ? signal.reason : error;
    } finally {
      signal.removeEventListener("abort", abort);
      each.abort();
      for (const check of this.checks) check.close?.();
    }
  }

  snapshot(): CheckState[] {
    return this.states.map((s) => ({ ...s }));
  }

  /** The checks not yet passed, as written: "tcp:8080, log:listening". */
  pending(): string {
    return this.states.filter((s) => !s.passed).map((s) => s.spec).join(", ");
  }

  /** The checks not yet passed with why: "tcp:8080 connection refused; log:x no matching line yet". */
  pendingWithErrors(): string {
    return this.states
      .filter((s) => !s.passed)
      .map((s) => (s.lastError ? `${s.spec} ${s.lastError}` : `${s.spec} not tried yet`))
      .join("; ");
  }
}
