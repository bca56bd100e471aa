// A command as the leader of its own process group: spawn it, signal the whole group, stop it
// (SIGTERM, a grace period, SIGKILL) and say how it ended as a failure reason and an exit code.
import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { constants } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";

/** How a command ended. */
export interface ProcessEnd {
  /** What `run` exits with: the command's code, 128+n when killed by signal n, 127/126 when it could not run. */
  exitCode: number;
  /** "" for exit 0; otherwise "exit status N", "killed by SIGTERM", "command not found: x". */
  reason: string;
  /** When it ended (ms since the epoch). */
  at: number;
}

export interface GroupProcess {
  readonly child: ChildProcess;
  /** The leader's pid (also the group id); undefined when the command could not be spawned. */
  readonly pid: number | undefined;
  /** Settles when the leader has exited (or could not start). */
  readonly ended: Promise<ProcessEnd>;
  /** Sends `signal` to every process of the group. */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves when no live process of the group is left. */
  stop(graceMs: number): Promise<void>;
}

export interface SpawnOptions {
  env: Record<string, string | undefined>;
  cwd?: string;
  stdio: StdioOptions;
}

/** "exit status 3" / "killed by SIGTERM", and run's exit code, for a child's exit. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): { exitCode: number; reason: string } {
  if (signal) return { exitCode: 128 + (constants.signals[signal] ?? 0), reason: `killed by ${signal}` };
  return { exitCode: code ?? 1, reason: code === 0 ? "" : `exit status ${code}` };
}

/** The same status as "exited with status 1" / "killed by SIGTERM", to put before "before ready". */
export function exitedPhrase(end: ProcessEnd): string {
  if (!end.reason) return "exited with status 0";
  return end.reason.startsWith("exit status ") ? `exited with status ${end.reason.slice("exit status ".length)}` : end.reason;
}

/** Sends `signal` to process group `pgid`; a group that is gone already is fine. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

/**
 * Whether a live process is left in group `pgid`. A zombie is not live: where the machine's init
 * does not reap orphans, a dead grandchild stays in the process table, and kill(-pgid, 0) would
 * call the group alive for ever. Reads /proc where it exists, else asks kill(-pgid, 0).
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // it ended while we looked
    }
    // pid (comm) state ppid pgrp …; comm may hold spaces and parentheses, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") return true;
  }
  return false;
}

/** Resolves true once group `pgid` has no live process, false if `limitMs` passes first. */
export async function groupGone(pgid: number, limitMs: number): Promise<boolean> {
  const until = Date.now() + limitMs;
  for (let delay = 5; groupAlive(pgid); delay = Math.min(delay * 2, 200)) {
    if (Date.now() >= until) return false;
    await sleep(Math.min(delay, Math.max(1, until - Date.now())));
  }
  return true;
}

/** How long stop() waits after SIGKILL before it gives up on a process it cannot see die. */
const AFTER_KILL_MS = 5_000;

/** Starts `command` (argv) as the leader of a new process group (and session). */
export function spawnGroup(command: readonly string[], options: SpawnOptions): GroupProcess {
  const child = spawn(command[0]!, command.slice(1), { ...options, detached: true });
  const ended = new Promise<ProcessEnd>((resolve) => {
    child.once("error", (error: NodeJS.ErrnoException) => {
      // spawn failures come as "error" with no "exit"; an error after a spawn (a failed kill) is not an end.
      if (child.pid !== undefined) return;
      const missing = error.code === "ENOENT";
      resolve({
        exitCode: missing ? 127 : 126,
        reason: missing ? `command not found: ${command[0]}` : `cannot run ${command[0]}: ${error.message}`,
        at: Date.now(),
      });
    });
    child.once("exit", (code, signal) => resolve({ ...describeExit(code, signal), at: Date.now() }));
  });
  let leaderDone = false;
  void ended.then(() => (leaderDone = true));
  const pid = child.pid;
  const signal = (name: NodeJS.Signals) => {
    if (pid !== undefined) signalGroup(pid, name);
  };
  const stop = async (graceMs: number) => {
    if (pid === undefined) return;
    signal("SIGTERM");
    // The leader's exit is the common end; wait for it, then for the rest of its group.
    const deadline = Date.now() + graceMs;
    const grace = new AbortController();
    await Promise.race([ended, sleep(graceMs, undefined, { signal: grace.signal }).catch(() => {})]);
    grace.abort(); // no timer outlives the stop
    if (leaderDone && (await groupGone(pid, Math.max(0, deadline - Date.now())))) return;
    signal("SIGKILL");
    await ended;
    await groupGone(pid, AFTER_KILL_MS);
  };
  return { child, pid, ended, signal, stop };
}
