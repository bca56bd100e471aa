// Loading a plan for a verb: check it, print every problem to stderr, and hand back the plan only
// when it has no error.
import { ExitCode } from "../client/exit-codes.js";
import { PlanFileError, type Checked, checkFile } from "../plan/check.js";
import type { Plan } from "../plan/model.js";
import { formatProblem } from "../plan/problems.js";
import { CommandError, type Io } from "./io.js";

export const DEFAULT_PLAN = "unitsync.yaml";

export function checkOrThrow(file: string, verb: string): Checked {
  try {
    return checkFile(file);
  } catch (error) {
    if (error instanceof PlanFileError) throw new CommandError(`${verb}: ${error.message}`, ExitCode.failed);
    throw error;
  }
}

/** The plan, or undefined after printing its problems (every one, errors and warnings). */
export function loadPlanOrExplain(io: Io, file: string, verb: string): Plan | undefined {
  const checked = checkOrThrow(file, verb);
  for (const problem of checked.problems) io.stderr.write(formatProblem(problem) + "\n");
  if (!checked.plan) {
    const errors = checked.problems.filter((p) => p.severity === "error").length;
    io.stderr.write(`unitsync: ${verb}: ${file} has ${errors} ${errors === 1 ? "error" : "errors"}; nothing was started\n`);
  }
  return checked.plan;
}
