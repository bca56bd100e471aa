// The one place that picks gRPC status codes for core errors; anything unexpected is INTERNAL.
import { status as Code, Metadata, type ServiceError } from "@grpc/grpc-js";
import { UnitSyncError, type ErrorKind } from "../core/errors.js";
import { ERROR_KIND_KEY } from "./metadata-keys.js";

const CODES: Record<ErrorKind, Code> = {
  "invalid-argument": Code.INVALID_ARGUMENT,
  "not-found": Code.NOT_FOUND,
  cycle: Code.FAILED_PRECONDITION,
  "illegal-transition": Code.FAILED_PRECONDITION,
  "dependency-failed": Code.FAILED_PRECONDITION,
  limit: Code.RESOURCE_EXHAUSTED,
  "lock-conflict": Code.FAILED_PRECONDITION,
  "shutting-down": Code.UNAVAILABLE,
  "fell-behind": Code.RESOURCE_EXHAUSTED,
};

export { ERROR_KIND_KEY, OWNER_KEY } from "./metadata-keys.js";

/**
 * The gRPC error for `error`. Core errors keep their message; anything else becomes INTERNAL
 * and is passed to `logUnexpected` so the agent can log its cause.
 */
export function toServiceError(error: unknown, logUnexpected: (error: unknown) => void): Partial<ServiceError> {
  const metadata = new Metadata();
  if (error instanceof UnitSyncError) {
    metadata.set(ERROR_KIND_KEY, error.kind);
    return { code: CODES[error.kind], details: error.message, metadata };
  }
  logUnexpected(error);
  return { code: Code.INTERNAL, details: "internal error; see the agent log", metadata };
}
