// `run UNIT [--after a,b] [--ready CHECK…] -- cmd…`: declare, wait, run the command, then complete
// or fail the unit — the whole want/start/trap/complete script in one line. Option parsing only:
// the running is src/runner's runUnit.
import { ExitCode } from "../client/exit-codes.js";
import { ReadinessSyntaxError } from "../runner/readiness/parse-check.js";
import { type UnitSpec, parseChecks, runUnit } from "../runner/run-unit.js";
import { parseDuration } from "./duration.js";
import { CommandError, type Io, printError } from "./io.js";
import { type GlobalOptions, connectFor, socketPathFor } from "./session.js";
import { DEFAULT_TIMEOUT } from "./defaults.js";
import { noticeFromEnv } from "./start-verb.js";
import { lockArgs } from "./lock-verb.js";

export interface RunOptions extends GlobalOptions {
  after?: string | string[];
  timeout?: string | number;
  ready?: string | string[];
  readyTimeout?: string | number;
  runTimeout?: string | number;
  retries?: string | number;
  retryDelay?: string | number;
  optional?: boolean;
  lock?: string | string[];
  "--"?: string[];
}

export const DEFAULT_READY_TIMEOUT = "2m";
export const DEFAULT_RETRY_DELAY = "1s";

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

const listOf = (value: string | string[] | undefined): string[] =>
  (value === undefined ? [] : Array.isArray(value) ? value : [value]).map(String);

/**
 * `--after a,b --after c` → [a, b, c]. Commas separate names and blanks around a name are
 * dropped; `\,` is a comma inside a name and `\\` a backslash (`--after 'db\,primary,cache'`).
 */
export function parseAfter(after: RunOptions["after"]): string[] {
  return listOf(after).flatMap(splitNames).map((s) => s.trim()).filter((s) => s.length > 0);
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

function parseCount(value: unknown, flag: string): number {
  const text = String(value ?? "0").trim();
  if (!/^\d+$/.test(text)) throw new CommandError(`${flag}: "${text}" is not a whole number; use 0, 1, 2, …`, ExitCode.usage);
  return Number(text);
}

/** The run's spec from its options; every usage error is found here, before anything is declared. */
export function runSpec(io: Io, unit: string, options: RunOptions, socketPath: string): UnitSpec {
  const command = options["--"] ?? [];
  if (command.length === 0) {
    throw new CommandError(`run ${unit}: no command given; write it after "--", as in: unitsync run ${unit} -- ./setup.sh`, ExitCode.usage);
  }
  const ready = listOf(options.ready);
  try {
    parseChecks(ready);
  } catch (error) {
    if (error instanceof ReadinessSyntaxError) throw new CommandError(`run ${unit}: ${error.message}`, ExitCode.usage);
    throw error;
  }
  return {
    unit,
    after: parseAfter(options.after).map((name) => ({ name, condition: "completed" as const })),
    command,
    env: { ...io.env, UNITSYNC_UNIT: unit, UNITSYNC_SOCKET: socketPath },
    ready,
    readyTimeoutMs: parseDuration(options.readyTimeout ?? DEFAULT_READY_TIMEOUT, "--ready-timeout"),
    locks: lockArgs(options.lock).map((l) => (l.capacity > 0 ? `${l.name}:${l.capacity}` : l.name)),
    timeoutMs: parseDuration(options.timeout ?? DEFAULT_TIMEOUT, "--timeout"),
    runTimeoutMs: parseDuration(options.runTimeout ?? 0, "--run-timeout"),
    retries: parseCount(options.retries, "--retries"),
    retryDelayMs: parseDuration(options.retryDelay ?? DEFAULT_RETRY_DELAY, "--retry-delay"),
    stdio: "inherit",
    progress: (line) => io.stderr.write(`${line}\n`),
    warn: (line) => printError(io, line),
    optional: Boolean(options.optional),
    notice: noticeFromEnv(io.env),
  };
}

export async function run(io: Io, unit: string, options: RunOptions): Promise<number> {
  const socketPath = socketPathFor(io, options);
  const spec = runSpec(io, unit, options, socketPath);
  const client = connectFor(io, options, socketPath, `run ${unit}`);
  // Listen before anything runs: a signal while waiting ends the wait; once running, it goes on
  // to the command's process group.
  const handle = runUnit(client, spec);
  const forwarders = FORWARDED.map((signal) => [signal, () => handle.signal(signal)] as const);
  for (const [signal, forward] of forwarders) io.signals.on(signal, forward);
  try {
    return await handle.exited;
  } finally {
    for (const [signal, forward] of forwarders) io.signals.off(signal, forward);
    client.close();
  }
}
