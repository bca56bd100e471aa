// The one typed error family of the core; src/rpc/status.ts maps each kind to a gRPC code.

export type ErrorKind =
  | "invalid-argument"
  | "not-found"
  | "cycle"
  | "illegal-transition"
  | "dependency-failed"
  | "limit"
  | "lock-conflict"
  | "shutting-down";

export abstract class UnitSyncError extends Error {
  abstract readonly kind: ErrorKind;
}

/** A request that can never be valid: a bad unit name, an over-long reason, an empty list. */
export class InvalidArgument extends UnitSyncError {
  readonly kind = "invalid-argument";
}

/** A unit name that breaks the naming rule. */
export class InvalidName extends InvalidArgument {}

export class UnitNotFound extends UnitSyncError {
  readonly kind = "not-found";
  constructor(readonly unit: string) {
    super(`unit "${unit}" not found; declare it with "unitsync want" or "unitsync start" first`);
  }
}

export class CycleDetected extends UnitSyncError {
  readonly kind = "cycle";
  /** The cycle as a path that starts and ends with the same unit, each arrow "depends on". */
  constructor(readonly path: readonly string[]) {
    super(`cycle detected: ${path.join(" -> ")}`);
  }
}

/** A transition the state machine does not allow (starting a started unit, completing a failed one). */
export class IllegalTransition extends UnitSyncError {
  readonly kind = "illegal-transition";
  constructor(
    readonly unit: string,
    message: string,
  ) {
    super(message);
  }
}

/** A dependency failed, so the unit can never start. */
export class DependencyFailed extends UnitSyncError {
  readonly kind = "dependency-failed";
  constructor(
    readonly unit: string,
    readonly failedUnit: string,
    readonly reason: string,
    /** From `unit` down to `failedUnit`, both included. */
    readonly chain: readonly string[],
  ) {
    const via = chain.length > 2 ? ` (via ${chain.join(" -> ")})` : "";
    super(`dependency "${failedUnit}" failed: ${reason || "no reason given"}${via}`);
  }
}

/** A configured limit (units, dependencies, reason length, streams) would be exceeded. */
export class LimitExceeded extends UnitSyncError {
  readonly kind = "limit";
}

/** A lock request that contradicts the lock table: another capacity, a lease id already in use. */
export class LockConflict extends UnitSyncError {
  readonly kind = "lock-conflict";
}

/** The agent is shutting down; open waits end with this. */
export class ShuttingDown extends UnitSyncError {
  readonly kind = "shutting-down";
  constructor() {
    super("agent shutting down");
  }
}
