// The gRPC status codes the client reads and reports (the numbers every gRPC implementation uses).
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type Status = (typeof Status)[keyof typeof Status];

const NAMES = Object.keys(Status) as (keyof typeof Status)[];

/** "UNAVAILABLE" for 14; "UNKNOWN" for a number outside the table. */
export const statusName = (code: number): string => NAMES[code] ?? "UNKNOWN";
