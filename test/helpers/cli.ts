// Test helpers: the CLI in-process through main(argv, io), and as a real process.
import { type ChildProcess, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { fileURLToPath } from "node:url";
import { main } from "../../src/cli/main.js";
import { hermeticEnv } from "./hermetic.js";

/** The installed command, as users run it. */
export const BIN = fileURLToPath(new URL("../../../bin/unitsync.cjs", import.meta.url));
export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs main() in this process with captured output; `signals` lets a test send SIGTERM. */
export async function cli(argv: string[], env: Record<string, string | undefined> = {}, signals = new EventEmitter()): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: hermeticEnv(env),
    signals,
  });
  return { code, stdout, stderr };
}

export interface Spawned {
  child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (128+n for signal n) and all output. */
  done: Promise<CliResult>;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Starts `unitsync ...argv` as a real process. */
export function spawnCli(argv: string[], env: Record<string, string | undefined> = {}): Spawned {
  return spawnProcess(process.execPath, [BIN, ...argv], env);
}

export function spawnProcess(command: string, args: string[], env: Record<string, string | undefined> = {}, cwd?: string): Spawned {
  // process.env is hermetic (see hermetic.ts): private HOME, runtime and cache dirs, no socket setting.
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], cwd });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code: code ?? 128 + (SIGNALS[signal ?? ""] ?? 0), stdout, stderr }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}
