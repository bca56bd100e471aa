// gRPC errors → a one-line reason and an exit code, the one mapping every verb uses.
import { ERROR_KIND_KEY } from "../rpc/metadata-keys.js";
import { Status as Code } from "./status-codes.js";
import { ExitCode } from "./exit-codes.js";

export interface ClientFailure {
  exitCode: ExitCode;
  /** One line, lower case, saying why. */
  message: string;
}

/** What a failed call carries (the shape every gRPC client in Node gives its errors). */
interface ServiceError extends Error {
  code: number;
  details: string;
  metadata: { get(key: string): unknown[] };
}

function isServiceError(error: unknown): error is ServiceError {
  return typeof error === "object" && error !== null && "code" in error && "details" in error && "metadata" in error;
}

/** The kind of core error behind a failed call ("dependency-failed", "cycle", …), if any. */
export function errorKind(error: unknown): string | undefined {
  if (!isServiceError(error)) return undefined;
  const value = error.metadata?.get(ERROR_KIND_KEY)[0];
  return typeof value === "string" ? value : undefined;
}

/** The call's deadline passed. */
export const isTimeout = (error: unknown): boolean => isServiceError(error) && error.code === Code.DEADLINE_EXCEEDED;

/** No agent answered, or the agent is shutting down (see isShuttingDown). */
export const isUnavailable = (error: unknown): boolean => isServiceError(error) && error.code === Code.UNAVAILABLE;

/** The call was cancelled, by this client or for it. */
export const isCancelled = (error: unknown): boolean => isServiceError(error) && error.code === Code.CANCELLED;

/** The agent ended a stream whose client read too slowly; a new call resumes from a new snapshot. */
export const isFellBehind = (error: unknown): boolean => errorKind(error) === "fell-behind";

/** The agent ended the call because it is shutting down. */
export const isShuttingDown = (error: unknown): boolean => errorKind(error) === "shutting-down";

export function describeFailure(error: unknown, socketPath: string): ClientFailure {
  if (!isServiceError(error)) {
    return { exitCode: ExitCode.failed, message: error instanceof Error ? error.message : String(error) };
  }
  switch (error.code) {
    case Code.UNAVAILABLE:
      if (isShuttingDown(error)) return { exitCode: ExitCode.unreachable, message: "agent shutting down" };
      return {
        exitCode: ExitCode.unreachable,
        message: `no agent answers on ${socketPath}; start one with "unitsync agent" or point UNITSYNC_SOCKET at a running agent`,
      };
    case Code.DEADLINE_EXCEEDED:
      return { exitCode: ExitCode.timeout, message: "the agent did not answer in time" };
    case Code.FAILED_PRECONDITION:
      return {
        exitCode: errorKind(error) === "dependency-failed" ? ExitCode.dependencyFailed : ExitCode.failed,
        message: error.details,
      };
    default:
      return { exitCode: ExitCode.failed, message: error.details || error.message };
  }
}
