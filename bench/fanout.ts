// The agent's own part of a fan-out (one Complete → thousands of Start waiters told), apart from
// the bench client that reads every stream on the same cores: the CPU time the agent process
// spent, and the span from the Complete to the last `started` the agent handed to its stream.
import { readFileSync } from "node:fs";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { UnitSyncClient } from "../src/client/client.js";

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU time (user + system) a process has used so far, in ms. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1_000) / TICKS_PER_SECOND;
}

/** The agent's count of `started` messages sent so far (Ping's counts). */
export async function startedSent(client: UnitSyncClient): Promise<bigint> {
  return (await client.ping({})).counts?.startedSent ?? 0n;
}

/**
 * `gate`'s completion (the time the agent's timeline gives it: when the Complete call began) →
 * the last `started` the agent handed to a Start stream (Ping's last_started_sent_at), in ms.
 * Checks that the agent sent exactly `expected` started messages since `sentBefore`.
 */
export async function agentSpanMs(client: UnitSyncClient, gate: string, sentBefore: bigint, expected: number): Promise<number> {
  const { entries } = await client.getTimeline({});
  const finished = entries.find((e) => e.unit === gate)?.finishedAt;
  const { startedSent, lastStartedSentAt } = (await client.ping({})).counts ?? {};
  if (!finished || !lastStartedSentAt) throw new Error("fan-out: the agent reports no completion or no started sent");
  if (startedSent !== sentBefore + BigInt(expected)) throw new Error(`fan-out: the agent sent ${startedSent! - sentBefore} started messages, not ${expected}`);
  const last = Number(lastStartedSentAt.seconds) * 1_000 + lastStartedSentAt.nanos / 1e6;
  return last - timestampMs(finished);
}
