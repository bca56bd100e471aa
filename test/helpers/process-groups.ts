// Test helpers for processes a test cannot see directly: whether a process group has a live
// member left, and a pid a command wrote.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { eventually } from "./agent.js";

/**
 * True when no live process is left in group `pgid`: kill(-pgid, 0) says ESRCH, or every member
 * left is a zombie (this machine's init does not reap orphans, so a dead grandchild can linger).
 */
export function groupGone(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  for (const pid of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(pgrp) === pgid && state !== "Z") return false;
  }
  return true;
}

/** The number a command wrote to `path` (its pid, a time), once it is there. */
export async function numberIn(path: string): Promise<number> {
  await eventually(() => existsSync(path) && /^\d+\n?$/.test(readFileSync(path, "utf8")), `${path} to hold a number`, 20_000);
  return Number(readFileSync(path, "utf8"));
}
