// The agent's own part of a fan-out (one Complete → thousands of Start waiters told), apart from
// the bench client that reads every stream on the same cores: the CPU time the agent process
// spent, and the span its timeline shows from the gate's completion to the last waiter started.
import { readFileSync } from "node:fs";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { UnitSyncClient } from "../src/client/client.js";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time (user + system) a process has used so far, in ms. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1_000) / TICKS_PER_SECOND;
}

/** From the agent's timeline: `gate` finished → the last unit named `prefix…` started, in ms. */
export async function wakeSpanMs(client: UnitSyncClient, gate: string, prefix: string): Promise<number> {
  const { entries } = await client.getTimeline({});
  const finished = entries.find((e) => e.unit === gate)?.finishedAt;
  const started = entries.filter((e) => e.unit.startsWith(prefix) && e.startedAt).map((e) => timestampMs(e.startedAt!));
  if (!finished || started.length === 0) throw new Error("fan-out: the timeline lacks the gate or its waiters");
  return Math.max(...started) - timestampMs(finished);
}
