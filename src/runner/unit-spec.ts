// The contract of one unit run: what a caller asks for (UnitSpec), what it gets back (UnitHandle,
// UnitOutcome), the default stop grace and the check syntax validation. Shared by `run` and `up -f`.
import type { OutputDestination } from "./output-tap.js";
import { type CheckDefinition, parseCheck } from "./readiness/parse-check.js";

export interface UnitSpec {
  unit: string;
  after: { name: string; condition: "completed" | "started" | "finished" }[];
  /** argv; a shell string is ["sh", "-c", s]. */
  command: string[];
  /** The command's whole environment. */
  env: Record<string, string | undefined>;
  cwd?: string;
  /** Checks as written on the command line: "tcp:8080", "log:listening", "file:/x", "exec:pg_isready", "http://…". */
  ready: string[];
  /** 0: none. */
  readyTimeoutMs: number;
  /** "dpkg", "builds:2" (lock leases). */
  locks: string[];
  /** Bound on the dependency (and lock) wait; 0: none. */
  timeoutMs: number;
  /** 0: none. */
  runTimeoutMs: number;
  retries: number;
  retryDelayMs: number;
  /** "inherit" for `run`; for `up -f`, a file descriptor that gets both stdout and stderr. */
  stdio: OutputDestination;
  /** Progress lines (waiting for …, retrying …): `run` sends them to stderr, `up` to the unit log. */
  progress?: (line: string) => void;
  /** One-line problems ("run web: dependency "db" failed: …"); `run` prints them as `unitsync: …`. */
  warn?: (line: string) => void;
  /** With no agent answering, run the command anyway, uncoordinated (`run --optional`). */
  optional?: boolean;
  /** Between SIGTERM and SIGKILL when a run or ready timeout stops the command (default 5 s). */
  graceMs?: number;
  /** When to first say that a dependency was never registered, then how often. */
  notice?: { afterMs: number; everyMs: number };
}

export interface UnitOutcome {
  /** Completed: a step exited 0, or a service became ready. */
  ok: boolean;
  /** The failure reason recorded on the unit ("" when ok). */
  reason: string;
  /** What `run` exits with (DESIGN.md exit codes; 124 run timeout; 4 not ready in time; 5 dependency failed). */
  exitCode: number;
}

export interface UnitHandle {
  /** Settles once the unit is completed (step exited 0 / service ready) or failed (incl. not run). */
  readonly settled: Promise<UnitOutcome>;
  /** Settles when the command has exited for good (after the last attempt): run's exit code. */
  readonly exited: Promise<number>;
  /** The pid of the current attempt's process (leader of its own process group), if running. */
  pid(): number | undefined;
  /**
   * Stops the unit: not yet running → failed "not run: <reason>"; running → SIGTERM to its process
   * group, SIGKILL after graceMs; the unit is failed with `reason` if not yet completed. Resolves
   * when no process of it is left.
   */
  stop(reason: string, graceMs: number): Promise<void>;
  /**
   * Passes a signal on, as `run` does with its own: while waiting, the unit is failed "not run:
   * interrupted by SIG…" (exit 128+n); while running, the signal goes to the process group and no
   * further attempt is made.
   */
  signal(signal: NodeJS.Signals): void;
}

export const DEFAULT_GRACE_MS = 5_000;

/** Validates the spec's readiness checks; throws ReadinessSyntaxError for the first bad one. */
export function parseChecks(ready: readonly string[]): CheckDefinition[] {
  return ready.map(parseCheck);
}
