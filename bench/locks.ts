// Lock bench: holder's release → the next holder's grant, as the clients see it, over ≥ 1,000
// handoffs of one lock between two connections on a real agent.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import * as grpc from "@grpc/grpc-js";
import { startAgent } from "../src/agent/server.js";
import { promiseClient } from "../src/rpc/service.js";
import { socketTarget } from "../src/rpc/socket-path.js";
import { UnitSyncService } from "../gen/unitsync/v1/unitsync_pb.js";
import { percentile } from "./stats.js";

/** A client on a connection of its own (grpc-js otherwise shares one per target in a process). */
function ownConnection(socketPath: string) {
  const channel = new grpc.Client(socketTarget(socketPath), grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
  return Object.assign(promiseClient(UnitSyncService, channel), { close: () => channel.close() });
}

/** Figures: lock_handoff_p50_ms and lock_handoff_p99_ms (and how many handoffs were measured). */
export async function lockHandoff(quick = false): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "usl-"));
  const socketPath = join(dir, "locks.sock");
  const agent = await startAgent({ socketPath, version: "bench" });
  // Two connections, as two processes would have; the lease alternates between them. Each lease
  // ends with an RST_STREAM from its client, and Node's HTTP/2 server closes a connection that
  // resets streams in a long burst (nghttp2's reset rate limit), so a fresh pair takes over every
  // 400 handoffs — as fresh processes would.
  let clients = [ownConnection(socketPath), ownConnection(socketPath)];
  const retired: typeof clients = [];
  const handoffs = quick ? 300 : 2_000;
  const latencies: number[] = [];
  const open = (i: number) => {
    const controller = new AbortController();
    const stream = clients[i % 2]!.acquireLocks({ leaseId: `b${i}`, unit: `u${i}`, pid: process.pid, locks: [{ name: "dpkg", capacity: 0 }] }, { signal: controller.signal });
    return { controller, messages: stream[Symbol.asyncIterator]() };
  };
  try {
    let holder = open(0);
    await holder.messages.next(); // granted
    for (let i = 1; i <= handoffs; i++) {
      if (i % 400 === 0) {
        retired.push(...clients);
        clients = [ownConnection(socketPath), ownConnection(socketPath)];
        await clients[0]!.ping({});
        await clients[1]!.ping({});
      }
      const next = open(i);
      const queued = await next.messages.next();
      if (queued.value?.event.case !== "queued") throw new Error("the next request was not queued");
      const t0 = performance.now();
      holder.controller.abort(); // the holder ends its lease
      const granted = await next.messages.next();
      if (granted.value?.event.case !== "granted") throw new Error("the next request was not granted");
      latencies.push(performance.now() - t0);
      holder = next;
    }
    holder.controller.abort();
  } finally {
    for (const client of [...retired, ...clients]) client.close();
    await agent.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { lock_handoff_p50_ms: percentile(latencies, 50), lock_handoff_p99_ms: percentile(latencies, 99), lock_handoffs: latencies.length };
}
