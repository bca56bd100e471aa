// `up` with scripts (`--dir` or paths): every script in parallel with UNITSYNC_SOCKET set and a log
// file each; the scripts call unitsync themselves. A signal to `up` goes to every script and
// whatever it started; `up` then reports as usual and exits 128+n.
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants as fs, chmodSync, mkdirSync, openSync, closeSync, readdirSync, statSync, writeFileSync, writeSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { basename, join } from "node:path";
import { SHORT_DEADLINE_MS, type UnitSyncClient, deadlineIn } from "../client/client.js";
import { ExitCode } from "../client/exit-codes.js";
import { statusName } from "../rpc/enums.js";
import type { Unit } from "../../gen/unitsync/v1/unitsync_pb.js";
import { formatDuration } from "./duration.js";
import { table } from "./format.js";
import { CommandError, type Io, printError } from "./io.js";
import { renderTimeline } from "./timeline-verb.js";
import { runUnit } from "../runner/run-unit.js";
import type { PlanUnit } from "../plan/model.js";
import { unitSpec } from "./up-unit-spec.js";
import { watchProgress } from "./up-progress.js";

interface Script {
  name: string;
  path: string;
  log: string;
  startedAt: number;
  exit?: { code: number; at: number };
}

export function isExecutableFile(path: string): boolean {
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
export function writeShim(dir: string, self: readonly string[]): string {
  const binDir = join(dir, "bin");
  mkdirSync(binDir, { recursive: true });
  const quoted = self.map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(" ");
  writeFileSync(join(binDir, "unitsync"), `#!/bin/sh\nexec ${quoted} "$@"\n`);
  chmodSync(join(binDir, "unitsync"), 0o755);
  return binDir;
}

/** Names given to more than one of `files`, each with its paths. */
export function duplicateNames(files: readonly string[]): [string, string[]][] {
  const byName = new Map<string, string[]>();
  for (const file of files) byName.set(basename(file), [...(byName.get(basename(file)) ?? []), file]);
  return [...byName].filter(([, paths]) => paths.length > 1);
}

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type Forwarded = (typeof FORWARDED)[number];

/** Signals a script and everything it started: each script leads its own process group. */
function signalGroup(child: ChildProcess, signal: Forwarded): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // the group is gone already
  }
}

export interface Forwarder {
  /** The scripts running now; a signal goes to each one's process group. */
  running: Set<{ signal(signal: Forwarded): void }>;
  /** The first signal `up` received, if any. */
  received?: Forwarded;
  /** Stops listening for signals. */
  stop(): void;
}

/** From now until stop(), a signal to `up` goes to every running script instead of ending `up`. */
export function forwardSignals(io: Io): Forwarder {
  const forwarder: Forwarder = { running: new Set(), stop: () => {} };
  const onSignals = FORWARDED.map((signal) => {
    const onSignal = () => {
      forwarder.received ??= signal;
      io.stderr.write(`unitsync up: ${signal} received; passing it to ${forwarder.running.size} running scripts\n`);
      for (const script of forwarder.running) script.signal(signal);
    };
    return [signal, onSignal] as const;
  });
  for (const [signal, onSignal] of onSignals) io.signals.on(signal, onSignal);
  forwarder.stop = () => {
    for (const [signal, onSignal] of onSignals) io.signals.off(signal, onSignal);
  };
  return forwarder;
}

export async function runScripts(
  io: Io,
  client: UnitSyncClient,
  files: string[],
  socketPath: string,
  logDir: string,
  signals: Forwarder,
  /** Scripts with a `# unitsync:` header, by path, as checked units. */
  headers: ReadonlyMap<string, PlanUnit> = new Map(),
): Promise<{ code: number; interrupted?: Forwarded }> {
  const t0 = Date.now();
  const env: Record<string, string | undefined> = { ...io.env, UNITSYNC_SOCKET: socketPath };
  if (io.self) env.PATH = `${writeShim(logDir, io.self)}:${io.env.PATH ?? ""}`;

  const scripts: Script[] = files.map((path) => ({ name: basename(path), path, log: join(logDir, `${basename(path)}.log`), startedAt: 0 }));

  // Start the scripts only once no progress line can be missed.
  const progress = await watchProgress(io, client, t0, () => scripts.filter((s) => !s.exit).map((s) => s.name));
  const { since } = progress;

  await Promise.all(
    scripts.map(
      (script) =>
        new Promise<void>((resolveScript) => {
          if (signals.received) return resolveScript(); // not started: the summary shows no exit status
          const fd = openSync(script.log, "w");
          script.startedAt = Date.now();
          const finish = async (code: number) => {
            signals.running.delete(running);
            closeSync(fd);
            script.exit = { code, at: Date.now() };
            if (progress.lines) io.stderr.write(`${since()}script ${script.name} exited with ${code}${code ? `, see ${script.log}` : ""}\n`);
            if (code !== 0) await failOwnedUnits(client, script.name, `script ${script.name} exited with status ${code}`);
            resolveScript();
          };
          const header = headers.get(script.path);
          let running: { signal(signal: Forwarded): void };
          if (header) {
            // A script with a `# unitsync:` header is a unit run by the runner, as a plan's unit is.
            const line = (text: string) => void writeSync(fd, `${text}\n`);
            const handle = runUnit(client, {
              ...unitSpec(header, { ...env, UNITSYNC_OWNER: script.name }),
              stdio: { fd },
              progress: line,
              warn: (text) => line(`unitsync: ${text}`),
            });
            running = { signal: (signal) => handle.signal(signal) };
            void handle.exited.then(finish);
          } else {
            // Its own process group, so that a signal to `up` reaches everything the script started.
            const child = spawn(script.path, [], { env: { ...env, UNITSYNC_OWNER: script.name }, stdio: ["ignore", fd, fd], detached: true });
            running = { signal: (signal) => signalGroup(child, signal) };
            child.once("error", (error) => void finish(127).then(() => printError(io, `up: ${script.name}: ${error.message}`)));
            child.once("exit", (code, signal) => void finish(code ?? (signal ? 128 + osConstants.signals[signal] : 1)));
          }
          signals.running.add(running);
        }),
    ),
  );

  await progress.stop();
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

export function outcome(unit: Unit): string {
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
