// The metadata keys of the unitsync contract, shared by the agent and clients (no gRPC library here).

/** Request metadata naming who makes a call; `unitsync up` sets it to each script's name. */
export const OWNER_KEY = "unitsync-owner";

/** Metadata key that tells clients which core error a FAILED_PRECONDITION came from. */
export const ERROR_KIND_KEY = "unitsync-error-kind";
