// Helpers for tests of the operator verbs: scripts on disk, waiting on a process's output, JSON lines.
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { eventually } from "./agent.js";
import type { Spawned } from "./cli.js";

/** Writes an executable `#!/bin/sh` script (or a plain file with `mode`) and returns its path. */
export function writeScript(dir: string, name: string, body: string, mode = 0o755): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, mode);
  return path;
}

/** Resolves once the process's stdout (or stderr) matches `pattern`; fails if the process ends first. */
export async function outputMatches(spawned: Spawned, pattern: RegExp, stream: "stdout" | "stderr" = "stdout", limitMs = 45_000): Promise<void> {
  let ended = false;
  void spawned.done.then(() => (ended = true), () => (ended = true));
  await eventually(() => pattern.test(spawned[stream]()) || ended, `${stream} to match ${pattern}`, limitMs);
  if (!pattern.test(spawned[stream]())) {
    throw new Error(`process ended before ${stream} matched ${pattern}; stdout: ${spawned.stdout()} stderr: ${spawned.stderr()}`);
  }
}

/** Resolves once `path` exists. */
export const fileAppears = (path: string, limitMs = 45_000) => eventually(() => existsSync(path), `${path} to exist`, limitMs);

/** The complete lines of `text`, each parsed as JSON. */
export function jsonLines(text: string): any[] {
  return text
    .split("\n")
    .slice(0, -1)
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line));
}
