// `run UNIT [--after a,b] -- cmd…`: declare, wait, run the command, then complete or fail the
// unit by its exit status — the whole want/start/trap/complete script in one line.
import { spawn } from "node:child_process";
import { constants } from "node:os";
import { SHORT_DEADLINE_MS, connect, deadlineIn } from "../client/client.js";
import { describeFailure, isShuttingDown, isUnavailable } from "../client/errors.js";
import { ExitCode } from "../client/exit-codes.js";
import { parseDuration } from "./duration.js";
import { CommandError, type Io, printError } from "./io.js";
import { type GlobalOptions, ownerOption, socketPathFor } from "./session.js";
import { DEFAULT_TIMEOUT } from "./defaults.js";
import { noticeFromEnv, waitToStart } from "./start-verb.js";
import { declare } from "./unit-verbs.js";

export interface RunOptions extends GlobalOptions {
  after?: string | string[];
  timeout?: string | number;
  optional?: boolean;
  "--"?: string[];
}

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/**
 * `--after a,b --after c` → [a, b, c]. Commas separate names and blanks around a name are
 * dropped; `\,` is a comma inside a name and `\\` a backslash (`--after 'db\,primary,cache'`).
 */
export function parseAfter(after: RunOptions["after"]): string[] {
  const values = after === undefined ? [] : Array.isArray(after) ? after : [after];
  return values.flatMap((v) => splitNames(String(v))).map((s) => s.trim()).filter((s) => s.length > 0);
}

function splitNames(text: string): string[] {
  const names: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\\" && (text[i + 1] === "," || text[i + 1] === "\\")) current += text[++i];
    else if (ch === ",") {
      names.push(current);
      current = "";
    } else current += ch;
  }
  names.push(current);
  return names;
}

interface Outcome {
  exitCode: number;
  /** Empty on success; otherwise the reason recorded with `fail`. */
  failure: string;
}

/** Runs the command with inherited stdio, forwarding signals; resolves with its outcome. */
function runCommand(io: Io, command: string[], env: Record<string, string | undefined>): Promise<Outcome> {
  return new Promise((resolve) => {
    // Listen before spawning: a signal that arrives as the child starts must reach it, not end us.
    const forwarders = FORWARDED.map((signal) => [signal, () => child.kill(signal)] as const);
    for (const [signal, forward] of forwarders) io.signals.on(signal, forward);
    const child = spawn(command[0]!, command.slice(1), { stdio: "inherit", env });
    const finish = (outcome: Outcome) => {
      for (const [signal, forward] of forwarders) io.signals.off(signal, forward);
      resolve(outcome);
    };
    child.once("error", (error: NodeJS.ErrnoException) =>
      finish({
        exitCode: error.code === "ENOENT" ? 127 : 126,
        failure: error.code === "ENOENT" ? `command not found: ${command[0]}` : `cannot run ${command[0]}: ${error.message}`,
      }),
    );
    child.once("exit", (code, signal) => {
      if (signal) finish({ exitCode: 128 + (constants.signals[signal] ?? 0), failure: `killed by ${signal}` });
      else finish({ exitCode: code ?? 1, failure: code === 0 ? "" : `exit status ${code}` });
    });
  });
}

export async function run(io: Io, unit: string, options: RunOptions): Promise<number> {
  const command = options["--"] ?? [];
  if (command.length === 0) {
    throw new CommandError(`run ${unit}: no command given; write it after "--", as in: unitsync run ${unit} -- ./setup.sh`, ExitCode.usage);
  }
  const after = parseAfter(options.after);
  const timeoutMs = parseDuration(options.timeout ?? DEFAULT_TIMEOUT, "--timeout");
  const socketPath = socketPathFor(io, options);
  const env = { ...io.env, UNITSYNC_UNIT: unit, UNITSYNC_SOCKET: socketPath };
  const client = connect(socketPath, ownerOption(io));
  const short = () => ({ deadline: deadlineIn(SHORT_DEADLINE_MS) });
  // A signal while we wait ends the wait; the command's forwarders take over once it runs.
  const interrupt = new AbortController();
  let interrupted: (typeof FORWARDED)[number] | undefined;
  const onSignals = FORWARDED.map((signal) => {
    const onSignal = () => {
      interrupted ??= signal;
      interrupt.abort();
    };
    return [signal, onSignal] as const;
  });
  try {
    try {
      for (const [signal, onSignal] of onSignals) io.signals.on(signal, onSignal);
      try {
        if (after.length > 0) await declare(client, unit, after, "completed");
        await waitToStart(client, unit, { timeoutMs, progress: io.stderr, notice: noticeFromEnv(io.env), signal: interrupt.signal });
        interrupt.signal.throwIfAborted(); // a signal just as the unit started: still not run
      } finally {
        for (const [signal, onSignal] of onSignals) io.signals.off(signal, onSignal);
      }
    } catch (error) {
      if (interrupted) {
        printError(io, `run ${unit}: interrupted by ${interrupted}`);
        // Dependents fail at once instead of waiting for a unit that will never run.
        await client.fail({ unit, reason: `not run: interrupted by ${interrupted}` }, short()).catch(() => {});
        return 128 + constants.signals[interrupted];
      }
      const failure = error instanceof CommandError ? { exitCode: error.exitCode, message: error.message } : describeFailure(error, socketPath);
      const unreachable = isUnavailable(error) && !isShuttingDown(error);
      if (options.optional && unreachable) {
        printError(io, `run ${unit}: ${failure.message}; running without coordination (--optional)`);
        return (await runCommand(io, command, env)).exitCode;
      }
      printError(io, `run ${unit}: ${failure.message}`);
      // The command will not run: record that, so dependents fail at once instead of waiting.
      if (failure.exitCode === ExitCode.timeout || failure.exitCode === ExitCode.dependencyFailed) {
        await client.fail({ unit, reason: `not run: ${failure.message}` }, short()).catch(() => {});
      }
      return failure.exitCode;
    }
    const outcome = await runCommand(io, command, env);
    try {
      if (outcome.failure) await client.fail({ unit, reason: outcome.failure }, short());
      else await client.complete({ unit }, short());
    } catch (error) {
      printError(io, `run ${unit}: could not report the outcome: ${describeFailure(error, socketPath).message}`);
    }
    return outcome.exitCode;
  } finally {
    client.close();
  }
}
