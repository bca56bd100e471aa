// The syntax of readiness checks and lock requests as a plan (or a script header) writes them;
// readiness checks are parsed by the runner's own parser, so check and run agree.
import { validateUnitName } from "../core/names.js";
import { ReadinessSyntaxError, parseCheck } from "../runner/readiness/parse-check.js";

/** Why `check` is not a readiness check, or undefined if it is one (the runner's own parser decides). */
export function readyProblem(check: string): string | undefined {
  try {
    parseCheck(check);
    return undefined;
  } catch (error) {
    if (error instanceof ReadinessSyntaxError) return error.message.replace(/^--ready /, "readiness check ");
    throw error;
  }
}

/** Why `request` is not NAME or NAME:CAPACITY, or undefined if it is. */
export function lockProblem(request: string): string | undefined {
  const match = /^(.*?)(?::(\d+))?$/.exec(request)!;
  const [, name = "", capacity] = match;
  try {
    validateUnitName(name);
  } catch (error) {
    return `lock "${request}": ${(error as Error).message.replace(/unit name/g, "lock name")}`;
  }
  if (capacity !== undefined && Number(capacity) < 1) return `lock "${request}": capacity must be at least 1; write NAME:CAPACITY with CAPACITY ≥ 1`;
  return undefined;
}
