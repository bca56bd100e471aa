// Drill helpers: short forms in `make test`, long forms in `make fuzz`/`make drills`, figures as JSON lines.
import { appendFileSync, readFileSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as grpc from "@grpc/grpc-js";
import type { ExecutionContext } from "ava";
import type { UnitSyncClient } from "../../src/client/client.js";
import { promiseClient } from "../../src/rpc/service.js";
import { socketTarget } from "../../src/rpc/socket-path.js";
import { UnitSyncService } from "../../gen/unitsync/v1/unitsync_pb.js";

/** UNITSYNC_DRILLS=long selects the long forms (make drills). */
export const LONG = process.env.UNITSYNC_DRILLS === "long";

/** A count from `env` if set, else the long or the short default. */
export function scale(env: string, short: number, long: number): number {
  const value = process.env[env];
  if (value !== undefined && value !== "") {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${env}=${value}: expected a whole number of at least 1`);
    return n;
  }
  return LONG ? long : short;
}

/** Logs a drill's figures; with UNITSYNC_FIGURES=FILE also appends them there as one JSON line. */
export function figure(t: ExecutionContext, drill: string, figures: Record<string, unknown>): void {
  const line = JSON.stringify({ drill, ...figures });
  t.log(line);
  const file = process.env.UNITSYNC_FIGURES;
  if (file) appendFileSync(file, line + "\n");
}

let gcFunction: (() => void) | undefined;

/** Runs a full garbage collection (twice, so finalizers' garbage goes too). */
export function collectGarbage(): void {
  if (!gcFunction) {
    setFlagsFromString("--expose-gc");
    gcFunction = runInNewContext("gc") as () => void;
  }
  gcFunction();
  gcFunction();
}

export const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

/** Resident set size of a process from /proc, in bytes (undefined when it has gone). */
export function processRss(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** Resolves when the async `predicate` holds, polling every 20 ms (bounded). */
export async function until(predicate: () => Promise<boolean> | boolean, what: string, limitMs = 45_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (await Promise.resolve().then(predicate).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A client on a connection of its own. grpc-js shares one connection among all clients of a
 * process that use the same target and options; drills that need many connections use this.
 */
export function separateClient(socketPath: string): UnitSyncClient {
  const channel = new grpc.Client(socketTarget(socketPath), grpc.credentials.createInsecure(), {
    "grpc.enable_retries": 0,
    "grpc.max_receive_message_length": -1,
    "grpc.use_local_subchannel_pool": 1,
  });
  return Object.assign(promiseClient(UnitSyncService, channel), { socketPath, close: () => channel.close() });
}
