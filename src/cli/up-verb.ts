// `up`: the whole start-up in one command — an agent (or the one already serving), every script
// in parallel with UNITSYNC_SOCKET set and a log file each, live progress, then a summary and the
// timeline. Exits 1 if any script exited non-zero or any unit failed. A signal to `up` goes to
// every script and whatever it started; `up` then reports as usual and exits 128+n.
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants as fs, chmodSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { constants as osConstants, tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { SHORT_DEADLINE_MS, type UnitSyncClient, connect, deadlineIn } from "../client/client.js";
import { isUnavailable } from "../client/errors.js";
import { ExitCode } from "../client/exit-codes.js";
import { statusName } from "../rpc/enums.js";
import { VERSION } from "../version.js";
import type { Agent } from "../agent/server.js";
import type { Unit } from "../../gen/unitsync/v1/unitsync_pb.js";
import { formatDuration } from "./duration.js";
import { table } from "./format.js";
import { CommandError, type Io, printError } from "./io.js";
import { type GlobalOptions, socketPathFor } from "./session.js";
import { CLEAR_SCREEN, paintStatus, useColor } from "./style.js";
import { renderTimeline } from "./timeline-verb.js";
import { unitTable } from "./unit-table.js";

export interface UpOptions extends GlobalOptions {
  dir?: string;
  logDir?: string;
  serve?: boolean;
}

interface Script {
  name: string;
  path: string;
  log: string;
  startedAt: number;
  exit?: { code: number; at: number };
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, fs.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The executable regular files of `dir`, sorted; anything else (README, data) is skipped. */
export function scriptsIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new CommandError(`--dir ${dir}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such directory" : (error as Error).message}`, ExitCode.usage);
  }
  return names.sort().map((n) => join(dir, n)).filter(isExecutableFile);
}

/** A `unitsync` on the scripts' PATH that runs this very unitsync, whatever is installed. */
function writeShim(dir: string, self: readonly string[]): string {
  const binDir = join(dir, "bin");
  mkdirSync(binDir, { recursive: true });
  const quoted = self.map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(" ");
  writeFileSync(join(binDir, "unitsync"), `#!/bin/sh\nexec ${quoted} "$@"\n`);
  chmodSync(join(binDir, "unitsync"), 0o755);
  return binDir;
}

async function agentAnswers(client: UnitSyncClient): Promise<boolean> {
  try {
    await client.ping({}, { deadline: deadlineIn(SHORT_DEADLINE_MS) });
    return true;
  } catch (error) {
    if (isUnavailable(error)) return false;
    throw error;
  }
}

export async function up(io: Io, paths: string[], options: UpOptions): Promise<number> {
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
  const logDir = resolve(options.logDir ?? mkdtempSync(join(tmpdir(), "unitsync-up-")));
  mkdirSync(logDir, { recursive: true });
  let client = connect(socketPath);
  let agent: Agent | undefined;
  let agentLog: number | undefined;
  try {
    if (!(await agentAnswers(client))) {
      const { startAgent } = await import("../agent/server.js");
      const log = openSync(join(logDir, "agent.log"), "a");
      agentLog = log;
      const write = (line: string) => {
        if (agentLog === log) writeFileSync(log, `${new Date().toISOString()} ${line}\n`);
      };
      agent = await startAgent({ socketPath, version: VERSION, log: write });
      client.close(); // its channel remembers the failed connect and backs off; start afresh
      client = connect(socketPath);
    }
    io.stderr.write(`unitsync up: ${files.length} scripts, agent on ${socketPath}${agent ? "" : " (already running)"}, logs in ${logDir}\n`);
    // Until the summary is written, a signal goes to the scripts; their exits are reported as usual.
    const signals = forwardSignals(io);
    const { code, interrupted } = await runScripts(io, client, files, socketPath, logDir, signals).finally(() => signals.stop());
    if (options.serve && !interrupted) {
      if (agent) {
        io.stderr.write(`unitsync up: agent still serving on ${socketPath}; Ctrl-C to stop\n`);
        await serveUntilSignal(io, agent);
      } else {
        io.stderr.write(`unitsync up: the agent already running on ${socketPath} keeps serving\n`);
      }
    }
    return code;
  } finally {
    client.close();
    await agent?.close();
    if (agentLog !== undefined) closeSync(agentLog);
    agentLog = undefined; // a late log line must not go to whatever file reuses the descriptor
  }
}

function serveUntilSignal(io: Io, agent: Agent): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      for (const signal of ["SIGINT", "SIGTERM"]) io.signals.off(signal, stop);
      void agent.close().then(resolve);
    };
    for (const signal of ["SIGINT", "SIGTERM"]) io.signals.on(signal, stop);
  });
}

/** Names given to more than one of `files`, each with its paths. */
function duplicateNames(files: readonly string[]): [string, string[]][] {
  const byName = new Map<string, string[]>();
  for (const file of files) byName.set(basename(file), [...(byName.get(basename(file)) ?? []), file]);
  return [...byName].filter(([, paths]) => paths.length > 1);
}

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
type Forwarded = (typeof FORWARDED)[number];

/** Signals a script and everything it started: each script leads its own process group. */
function signalGroup(child: ChildProcess, signal: Forwarded): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

interface Forwarder {
  /** The scripts running now; a signal goes to each one's process group. */
  running: Set<ChildProcess>;
  /** The first signal `up` received, if any. */
  received?: Forwarded;
  /** Stops listening for signals. */
  stop(): void;
}

/** From now until stop(), a signal to `up` goes to every running script instead of ending `up`. */
function forwardSignals(io: Io): Forwarder {
  const forwarder: Forwarder = { running: new Set(), stop: () => {} };
  const onSignals = FORWARDED.map((signal) => {
    const onSignal = () => {
      forwarder.received ??= signal;
      io.stderr.write(`unitsync up: ${signal} received; passing it to ${forwarder.running.size} running scripts\n`);
      for (const child of forwarder.running) signalGroup(child, signal);
    };
    return [signal, onSignal] as const;
  });
  for (const [signal, onSignal] of onSignals) io.signals.on(signal, onSignal);
  forwarder.stop = () => {
    for (const [signal, onSignal] of onSignals) io.signals.off(signal, onSignal);
  };
  return forwarder;
}

async function runScripts(
  io: Io,
  client: UnitSyncClient,
  files: string[],
  socketPath: string,
  logDir: string,
  signals: Forwarder,
): Promise<{ code: number; interrupted?: Forwarded }> {
  const t0 = Date.now();
  const tty = Boolean(io.stderr.isTTY);
  const color = useColor(io, io.stderr);
  const since = () => `+${formatDuration(Date.now() - t0)}`.padEnd(8);
  const env: Record<string, string | undefined> = { ...io.env, UNITSYNC_SOCKET: socketPath };
  if (io.self) env.PATH = `${writeShim(logDir, io.self)}:${io.env.PATH ?? ""}`;

  const scripts: Script[] = files.map((path) => ({ name: basename(path), path, log: join(logDir, `${basename(path)}.log`), startedAt: 0 }));

  // Progress is pushed by the agent: plain lines, or a redrawn table on a TTY.
  const stopWatch = new AbortController();
  let redraw: NodeJS.Timeout | undefined;
  const draw = async () => {
    redraw = undefined;
    const { units } = await client.listUnits({}, { deadline: deadlineIn(SHORT_DEADLINE_MS) });
    const running = scripts.filter((s) => !s.exit).map((s) => s.name);
    io.stderr.write(CLEAR_SCREEN + unitTable(units, Date.now(), color) + `\nrunning: ${running.join(", ") || "none"}\n`);
  };
  let subscribed!: () => void;
  const watchReady = new Promise<void>((resolve) => (subscribed = resolve));
  const watching = (async () => {
    try {
      for await (const { message } of client.watch({}, { signal: stopWatch.signal })) {
        subscribed(); // the snapshot: every later change will be pushed
        if (message.case !== "event") continue;
        if (tty) redraw ??= setTimeout(() => draw().catch(() => {}), 50);
        else if (message.value.from !== message.value.to) {
          const to = statusName(message.value.to);
          const reason = message.value.reason ? ` (${message.value.reason})` : "";
          io.stderr.write(`${since()}${message.value.unit} ${paintStatus(to, to, color)}${reason}\n`);
        }
      }
    } catch {
      // cancelled at the end, or the agent went away (the scripts will say so)
    } finally {
      subscribed();
    }
  })();
  await watchReady; // start the scripts only once no progress line can be missed

  await Promise.all(
    scripts.map(
      (script) =>
        new Promise<void>((resolveScript) => {
          if (signals.received) return resolveScript(); // not started: the summary shows no exit status
          const fd = openSync(script.log, "w");
          script.startedAt = Date.now();
          // Its own process group, so that a signal to `up` reaches everything the script started.
          const child = spawn(script.path, [], { env: { ...env, UNITSYNC_OWNER: script.name }, stdio: ["ignore", fd, fd], detached: true });
          signals.running.add(child);
          const finish = async (code: number) => {
            signals.running.delete(child);
            closeSync(fd);
            script.exit = { code, at: Date.now() };
            if (!tty) io.stderr.write(`${since()}script ${script.name} exited with ${code}${code ? `, see ${script.log}` : ""}\n`);
            if (code !== 0) await failOwnedUnits(client, script.name, `script ${script.name} exited with status ${code}`);
            resolveScript();
          };
          child.once("error", (error) => void finish(127).then(() => printError(io, `up: ${script.name}: ${error.message}`)));
          child.once("exit", (code, signal) => void finish(code ?? (signal ? 128 + osConstants.signals[signal] : 1)));
        }),
    ),
  );

  stopWatch.abort();
  clearTimeout(redraw);
  await watching;
  const { units } = await client.listUnits({}, { deadline: deadlineIn(SHORT_DEADLINE_MS) });
  io.stdout.write(summary(scripts, units));
  io.stdout.write("\n" + renderTimeline(await client.getTimeline({}, { deadline: deadlineIn(SHORT_DEADLINE_MS) })));
  const ok = scripts.every((s) => s.exit?.code === 0) && units.every((u) => statusName(u.status) !== "failed");
  const signal = signals.received;
  if (signal) {
    io.stdout.write(`\nstart-up interrupted by ${signal}\n`);
    return { code: 128 + osConstants.signals[signal], interrupted: signal };
  }
  io.stdout.write(ok ? `\nstart-up complete in ${formatDuration(Date.now() - t0)}\n` : "\nstart-up failed\n");
  return { code: ok ? ExitCode.ok : ExitCode.failed };
}

/**
 * A script that dies between `start` and `complete` would leave its units started forever and
 * its dependents waiting for the timeout; fail them so the dependents fail at once.
 */
async function failOwnedUnits(client: UnitSyncClient, owner: string, reason: string): Promise<void> {
  try {
    const { units } = await client.listUnits({}, { deadline: deadlineIn(SHORT_DEADLINE_MS) });
    for (const unit of units) {
      const status = statusName(unit.status);
      if (unit.owner === owner && (status === "pending" || status === "started")) {
        await client.fail({ unit: unit.name, reason }, { deadline: deadlineIn(SHORT_DEADLINE_MS) });
      }
    }
  } catch {
    // the agent is gone; the summary will show what is known
  }
}

function outcome(unit: Unit): string {
  const status = statusName(unit.status);
  if (status === "completed") return "ok";
  if (unit.blocked) return `not run: ${unit.blocked.failedUnit} failed`;
  if (status === "pending") return "not run";
  if (status === "started") return "started, never completed";
  return unit.reason || "failed";
}

function summary(scripts: Script[], units: Unit[]): string {
  const scriptRows = scripts.map((s) => [s.name, String(s.exit?.code ?? "-"), formatDuration((s.exit?.at ?? Date.now()) - s.startedAt), s.log]);
  const unitRows = units.map((u) => [u.name, statusName(u.status), outcome(u)]);
  return `\nScripts:\n${table(["SCRIPT", "EXIT", "TIME", "LOG"], scriptRows)}\nUnits:\n${table(["UNIT", "STATUS", "OUTCOME"], unitRows)}`;
}
