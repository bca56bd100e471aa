// What every readiness check is: one small object with one job — wait until its condition holds —
// and what it may use of the command it watches.
import type { LineListener } from "../output-tap.js";

export interface ReadinessCheck {
  /** As written: "tcp:8080". */
  readonly spec: string;
  /**
   * Resolves once the condition holds; rejects with `signal.reason` when aborted. Calls `onError`
   * whenever the reason it is not ready yet changes ("connection refused").
   */
  wait(signal: AbortSignal, onError: (error: string) => void): Promise<void>;
  /** Releases what the check holds (a socket, a watcher); called once, after wait settles. */
  close?(): void;
}

/** What a check may use of the command and its run. */
export interface CheckContext {
  env: Record<string, string | undefined>;
  cwd?: string;
  /** Subscribes to the command's output, one complete line at a time (stdout and stderr). */
  onLine(listener: LineListener): () => void;
}

/** Why a network call failed, in a few words: "connection refused". */
export function networkError(error: unknown): string {
  const e = error as NodeJS.ErrnoException & { errors?: NodeJS.ErrnoException[] };
  const code = e.code ?? e.errors?.[0]?.code;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
      return "connection reset";
    case "ETIMEDOUT":
      return "connection timed out";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    default:
      return e.message || String(error);
  }
}
