// A typed promise client for one agent socket, with the deadline helpers every verb uses.
import type { PromiseClient } from "../rpc/service.js";
import { OWNER_KEY } from "../rpc/metadata-keys.js";
import type { UnitSyncService } from "../../gen/unitsync/v1/unitsync_pb.js";
import { UNITSYNC_METHODS } from "../rpc/service-methods.js";
import { H2Channel } from "./h2-channel.js";
import { promiseCalls } from "./promise-calls.js";

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

/** Channels shared by the clients of one process (per socket and owner), and how many use each. */
const shared = new Map<string, { channel: H2Channel; users: number }>();

/**
 * A client for the agent on `socketPath`. Clients of one process share a connection unless
 * `separate` asks for one of its own (a reconnect must not inherit a connection that just failed).
 */
export function connect(socketPath: string, options: { owner?: string; separate?: boolean } = {}): UnitSyncClient {
  const headers: Record<string, string> = options.owner ? { [OWNER_KEY]: options.owner } : {};
  let channel: H2Channel;
  let close: () => void;
  if (options.separate) {
    channel = new H2Channel(socketPath, headers);
    close = () => channel.close();
  } else {
    const key = `${socketPath}\0${options.owner ?? ""}`;
    let entry = shared.get(key);
    if (!entry) shared.set(key, (entry = { channel: new H2Channel(socketPath, headers), users: 0 }));
    entry.users++;
    channel = entry.channel;
    let closed = false;
    close = () => {
      if (closed) return;
      closed = true;
      if (--entry.users > 0) return;
      shared.delete(key);
      entry.channel.close();
    };
  }
  return Object.assign(promiseCalls(UNITSYNC_METHODS, channel) as PromiseClient<typeof UnitSyncService>, { socketPath, close });
}
