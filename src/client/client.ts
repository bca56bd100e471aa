// A typed promise client for one agent socket, with the deadline helpers every verb uses.
import * as grpc from "@grpc/grpc-js";
import { type PromiseClient, promiseClient } from "../rpc/service.js";
import { socketTarget } from "../rpc/socket-path.js";
import { OWNER_KEY } from "../rpc/status.js";
import { UnitSyncService } from "../../gen/unitsync/v1/unitsync_pb.js";

export type UnitSyncClient = PromiseClient<typeof UnitSyncService> & {
  readonly socketPath: string;
  close(): void;
};

/** Deadline for calls that answer at once (everything but start/run/watch waits). */
export const SHORT_DEADLINE_MS = 10_000;

/** An absolute deadline `ms` from now; undefined (no deadline) for 0. */
export function deadlineIn(ms: number): Date | undefined {
  return ms > 0 ? new Date(Date.now() + ms) : undefined;
}

export function connect(socketPath: string, options: { owner?: string; separate?: boolean } = {}): UnitSyncClient {
  const channel = new grpc.Client(socketTarget(socketPath), grpc.credentials.createInsecure(), {
    // One start-up script makes a handful of calls; never retry a call the agent refused.
    "grpc.enable_retries": 0,
    // Answers grow with the agent's state (a full event log is several MiB); the agent is trusted.
    "grpc.max_receive_message_length": -1,
    // A connection of its own, not one shared in the process (a reconnect must not inherit the
    // backoff of the connection that just failed).
    ...(options.separate ? { "grpc.use_local_subchannel_pool": 1 } : {}),
  });
  const headers: Record<string, string> = options.owner ? { [OWNER_KEY]: options.owner } : {};
  return Object.assign(promiseClient(UnitSyncService, channel, headers), {
    socketPath,
    close: () => channel.close(),
  });
}
