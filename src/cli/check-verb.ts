// `check`: validate a plan (or the header comments of a folder's scripts) without running it;
// every problem as `FILE:LINE:COL: what is wrong; what to do`. Exit 1 on any error.
import { ExitCode } from "../client/exit-codes.js";
import { checkScripts } from "../plan/script-header.js";
import { formatProblem, hasErrors } from "../plan/problems.js";
import { CommandError, type Io } from "./io.js";
import { DEFAULT_PLAN, checkOrThrow } from "./plan-file.js";
import { scriptsIn } from "./up-verb.js";

export async function check(io: Io, options: { file?: string; dir?: string }): Promise<number> {
  if (options.file !== undefined && typeof options.file !== "string") throw new CommandError("check: -f needs a plan file", ExitCode.usage);
  if (options.dir !== undefined && options.file !== undefined) throw new CommandError("check: give either -f or --dir, not both", ExitCode.usage);
  const file = options.dir ?? options.file ?? DEFAULT_PLAN;
  const { problems, plan } = options.dir !== undefined ? checkScripts(scriptsIn(options.dir)) : checkOrThrow(file, "check");
  for (const problem of problems) io.stderr.write(formatProblem(problem) + "\n");
  const errors = problems.filter((p) => p.severity === "error").length;
  const warnings = problems.length - errors;
  const counts = [errors && `${errors} ${errors === 1 ? "error" : "errors"}`, warnings && `${warnings} ${warnings === 1 ? "warning" : "warnings"}`].filter(Boolean);
  if (hasErrors(problems)) {
    io.stderr.write(`unitsync: check: ${file}: ${counts.join(", ")}\n`);
    return ExitCode.failed;
  }
  io.stdout.write(`${file}: ${plan!.units.length} ${options.dir !== undefined ? "scripts with a header" : "units"}, ${counts.length ? counts.join(", ") : "no problems"}\n`);
  return ExitCode.ok;
}
