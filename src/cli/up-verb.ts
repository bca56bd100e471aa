// `up`: the whole start-up in one command — an agent (or the one already serving), then either a
// checked plan (`-f unitsync.yaml`, see up-plan.ts) or scripts in parallel (`--dir`, paths; see
// up-scripts.ts), with live progress, a summary and the timeline.
import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ExitCode } from "../client/exit-codes.js";
import { parseDuration } from "./duration.js";
import { CommandError, type Io } from "./io.js";
import { checkScripts } from "../plan/script-header.js";
import { formatProblem } from "../plan/problems.js";
import { loadPlanOrExplain } from "./plan-file.js";
import { type GlobalOptions, socketPathFor } from "./session.js";
import { joinOrStartAgent, serveUntilSignal } from "./up-agent.js";
import { duplicateNames, forwardSignals, runScripts, scriptsIn, isExecutableFile } from "./up-scripts.js";

export { scriptsIn } from "./up-scripts.js";

export interface UpOptions extends GlobalOptions {
  dir?: string;
  file?: string;
  logDir?: string;
  serve?: boolean;
  budget?: string | number;
  grace?: string | number;
  /** The command after `--then` (main splits it off the arguments). */
  then?: string[];
}

/** Between SIGTERM and SIGKILL when `up` stops a unit. */
export const DEFAULT_GRACE = "5s";

export async function up(io: Io, paths: string[], options: UpOptions): Promise<number> {
  if (options.file !== undefined) return upPlan(io, paths, options);
  if (options.then) throw new CommandError("up: --then needs a plan (-f FILE)", ExitCode.usage);
  if (options.budget !== undefined) throw new CommandError("up: --budget needs a plan (-f FILE)", ExitCode.usage);
  if (options.dir && paths.length > 0) throw new CommandError("up: give either --dir or scripts, not both", ExitCode.usage);
  const files = options.dir ? scriptsIn(options.dir) : paths.map((p) => resolve(p));
  if (files.length === 0) throw new CommandError(`up: no executable scripts ${options.dir ? `in ${options.dir}` : "given"}`, ExitCode.usage);
  for (const file of files) if (!isExecutableFile(file)) throw new CommandError(`up: ${file} is not an executable file`, ExitCode.usage);
  const sameName = duplicateNames(files);
  if (sameName.length > 0) {
    const named = sameName.map(([name, paths]) => `more than one script is named "${name}": ${paths.join(", ")}`).join("; ");
    throw new CommandError(`up: ${named}; a script's name names its log and owns its units, so rename one`, ExitCode.usage);
  }

  const socketPath = socketPathFor(io, options);
  // Scripts that declare themselves in a `# unitsync:` header are checked first, like a plan.
  const checked = checkScripts(files);
  for (const problem of checked.problems) io.stderr.write(formatProblem(problem) + "\n");
  if (!checked.plan) {
    io.stderr.write(`unitsync: up: the scripts' headers have errors; nothing was started\n`);
    return ExitCode.failed;
  }
  const headers = new Map(checked.plan.units.map((u) => [u.command[0]!, u]));
  const logDir = makeLogDir(options.logDir);
  const session = await joinOrStartAgent(socketPath, logDir, io);
  try {
    io.stderr.write(`unitsync up: ${files.length} scripts, agent on ${socketPath}${session.agent ? "" : " (already running)"}, logs in ${logDir}\n`);
    // Until the summary is written, a signal goes to the scripts; their exits are reported as usual.
    const signals = forwardSignals(io);
    const { code, interrupted } = await runScripts(io, session.client, files, socketPath, logDir, signals, headers).finally(() => signals.stop());
    if (options.serve && !interrupted) await serve(io, session.agent, socketPath);
    return code;
  } finally {
    await session.close();
  }
}

function makeLogDir(given: string | undefined): string {
  const logDir = resolve(given ?? mkdtempSync(join(tmpdir(), "unitsync-up-")));
  mkdirSync(logDir, { recursive: true });
  return logDir;
}

async function serve(io: Io, agent: Awaited<ReturnType<typeof joinOrStartAgent>>["agent"], socketPath: string): Promise<void> {
  if (agent) {
    io.stderr.write(`unitsync up: agent still serving on ${socketPath}; Ctrl-C to stop\n`);
    await serveUntilSignal(io, agent);
  } else {
    io.stderr.write(`unitsync up: the agent already running on ${socketPath} keeps serving\n`);
  }
}

async function upPlan(io: Io, paths: string[], options: UpOptions): Promise<number> {
  if (typeof options.file !== "string") throw new CommandError("up: -f needs a plan file", ExitCode.usage);
  if (options.dir || paths.length > 0) throw new CommandError("up: give either -f or scripts (--dir), not both", ExitCode.usage);
  if (options.then && options.then.length === 0) throw new CommandError("up: --then needs a command after it, as in: unitsync up -f unitsync.yaml --then nginx", ExitCode.usage);
  const budgetMs = options.budget !== undefined ? parseDuration(options.budget, "--budget") : undefined;
  const graceMs = parseDuration(options.grace ?? DEFAULT_GRACE, "--grace");
  const socketPath = socketPathFor(io, options);
  // The check comes first: a plan with an error starts nothing, not even an agent.
  const plan = loadPlanOrExplain(io, options.file, "up");
  if (!plan) return ExitCode.failed;
  const logDir = makeLogDir(options.logDir ?? plan.logDir);
  const session = await joinOrStartAgent(socketPath, logDir, io);
  try {
    const external = plan.units.filter((u) => u.external).length;
    io.stderr.write(
      `unitsync up: ${plan.units.length - external} units${external ? ` (+${external} external)` : ""} from ${options.file}, agent on ${socketPath}${session.agent ? "" : " (already running)"}, logs in ${logDir}\n`,
    );
    const { runPlan } = await import("./up-plan.js");
    const code = await runPlan(io, session.client, plan, { socketPath, logDir, budgetMs: budgetMs ?? plan.budgetMs, graceMs, ...(options.then ? { then: options.then } : {}) });
    if (options.serve && code < 128) await serve(io, session.agent, socketPath);
    return code;
  } finally {
    await session.close();
  }
}
