// Unit statuses and dependency conditions, and which statuses satisfy or block each condition.

export type UnitStatus = "not registered" | "pending" | "started" | "completed" | "failed";
export type Condition = "completed" | "started" | "finished";

export const CONDITIONS: readonly Condition[] = ["completed", "started", "finished"];

/** Whether a dependency in `status` meets `condition`. */
export function satisfies(condition: Condition, status: UnitStatus): boolean {
  switch (condition) {
    case "completed":
      return status === "completed";
    case "started":
      return status === "started" || status === "completed";
    case "finished":
      return status === "completed" || status === "failed";
  }
}

/** Whether a failure of the dependency (or below it) makes the dependent unable to start. */
export function failureBlocks(condition: Condition): boolean {
  return condition !== "finished";
}
