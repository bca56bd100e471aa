// A drill over the wire: 1,000 random lock requests (sets, capacities) to a real agent, with
// cancels and kills of holders (their connection cut), checked after every step against a plain
// reference model — no lost grant, no double grant, capacity never exceeded, nothing left over.
import * as http2 from "node:http2";
import * as net from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import test from "ava";
import { AcquireLocksRequestSchema, AcquireLocksResponseSchema, UnitSyncService } from "../gen/unitsync/v1/unitsync_pb.js";
import { promiseClient } from "../src/rpc/service.js";
import { socketTarget } from "../src/rpc/socket-path.js";
import { eventually, withAgent } from "./helpers/agent.js";
import { grpcMessage, random } from "./helpers/h2.js";
import { LockModel as Model } from "./helpers/lock-model.js";

interface Live {
  /** A kill cuts the holder's connection, as a process that dies would; a cancel ends the call. */
  kind: "kill" | "cancel";
  messages: string[];
  /** Ends the request: a cancel, or a kill (the connection cut). */
  end(): void;
}

/** A request on its own raw HTTP/2 connection, so that "kill" can cut it as a dying process would. */
function rawRequest(socketPath: string, request: object, onMessage: (kind: string) => void, onEnd: (error: boolean) => void): Live {
  const socket = net.connect(socketPath);
  const session = http2.connect("http://localhost", { createConnection: () => socket });
  session.on("error", () => {});
  const stream = session.request({ ":method": "POST", ":path": "/unitsync.v1.UnitSyncService/AcquireLocks", "content-type": "application/grpc", te: "trailers" });
  stream.on("error", () => {});
  stream.end(grpcMessage(Buffer.from(toBinary(AcquireLocksRequestSchema, create(AcquireLocksRequestSchema, request)))));
  let buffer = Buffer.alloc(0);
  const messages: string[] = [];
  stream.on("data", (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    while (buffer.length >= 5 && buffer.length >= 5 + buffer.readUInt32BE(1)) {
      const body = buffer.subarray(5, 5 + buffer.readUInt32BE(1));
      buffer = buffer.subarray(5 + body.length);
      const kind = fromBinary(AcquireLocksResponseSchema, body).event.case ?? "unknown";
      messages.push(kind);
      onMessage(kind);
    }
  });
  // a refusal comes as a trailers-only response: the stream just closes
  stream.on("close", () => onEnd(true));
  return { kind: "kill", messages, end: () => socket.destroy() };
}

const REQUESTS = 1_000;
const NAMES = ["dpkg", "builds", "x", "y", "net"];
const CAPACITY: Record<string, number> = { dpkg: 1, builds: 2, x: 1, y: 1, net: 3 };

test("drill: 1,000 random requests, cancels and kills over the wire match the reference model", async (t) => {
  t.timeout(300_000);
  const { agent, socketPath } = await withAgent(t);
  const table = agent.context.locks;
  // Cancels go over grpc-js connections of their own, replaced now and then: Node's HTTP/2 server
  // closes a connection that resets streams in a long burst.
  let channel = new grpc.Client(socketTarget(socketPath), grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
  let client = promiseClient(UnitSyncService, channel);
  const channels = [channel];
  t.teardown(() => channels.forEach((c) => c.close()));
  const next = random(Number(process.env.UNITSYNC_FUZZ_SEED ?? 11)).next;
  const model = new Model();
  const live = new Map<string, Live>();
  const grants = new Map<string, number>();
  let [requests, refused, cancels, kills, overCapacity] = [0, 0, 0, 0, 0];
  for (let step = 0; requests < REQUESTS; step++) {
    if (step % 250 === 249) {
      channel = new grpc.Client(socketTarget(socketPath), grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
      client = promiseClient(UnitSyncService, channel);
      channels.push(channel);
    }
    if (next() < 0.55 || live.size === 0) {
      const id = `d${requests++}`;
      const names = [...new Set(Array.from({ length: 1 + Math.floor(next() * 3) }, () => NAMES[Math.floor(next() * NAMES.length)]!))];
      const locks = names.map((name) => {
        const r = next();
        return { name, capacity: model.capacity.has(name) && r < 0.5 ? 0 : r < 0.95 ? CAPACITY[name]! : CAPACITY[name]! + 1 };
      });
      const accepted = model.request(id, locks) === "ok";
      const request = { leaseId: id, unit: id, pid: 1, locks };
      let ended = false;
      const onMessage = (kind: string) => kind === "granted" && grants.set(id, (grants.get(id) ?? 0) + 1);
      let entry: Live;
      if (next() < 0.3) {
        entry = rawRequest(socketPath, request, onMessage, () => (ended = true));
      } else {
        const controller = new AbortController();
        const messages: string[] = [];
        const stream = client.acquireLocks(request, { signal: controller.signal });
        void (async () => {
          try {
            for await (const m of stream) {
              messages.push(m.event.case ?? "unknown");
              onMessage(m.event.case ?? "unknown");
            }
          } catch {
            // cancelled or refused
          } finally {
            ended = true;
          }
        })();
        entry = { kind: "cancel", messages, end: () => controller.abort() };
      }
      // the agent has taken the request (or refused it) before the next step: arrival order is fixed
      await eventually(() => entry.messages.length > 0 || ended, `step ${step}: ${id} answered`, 45_000);
      if (!accepted) {
        t.true(ended && entry.messages.length === 0, `step ${step}: ${id} should be refused`);
        refused++;
        continue;
      }
      t.false(ended, `step ${step}: ${id} refused`);
      live.set(id, entry);
    } else {
      // most ends hit a holder (its command exits, is cancelled or killed); the rest a waiter
      const holders = new Set(model.granted());
      const holder = next() < 0.7;
      const pool = [...live.keys()].filter((k) => holders.has(k) === holder);
      const ids = pool.length > 0 ? pool : [...live.keys()];
      const id = ids[Math.floor(next() * ids.length)]!;
      live.get(id)!.end();
      if (live.get(id)!.kind === "kill") kills++;
      else cancels++;
      live.delete(id);
      model.end(id);
      await eventually(() => !table.leaseList().some((l) => l.leaseId === id), `step ${step}: ${id} gone from the agent`, 45_000);
    }
    const expected = model.granted();
    const actual = table.leaseList().filter((l) => l.grantedAt !== undefined).map((l) => l.leaseId).sort();
    t.deepEqual(actual, expected, `step ${step}: granted set`);
    for (const lock of table.list()) if (lock.holders.length > lock.capacity) overCapacity++;
    // every grant reaches its client exactly once
    await eventually(() => expected.every((id) => grants.get(id) === 1), `step ${step}: grants delivered`, 45_000);
    t.true([...grants.values()].every((n) => n === 1), `step ${step}: a double grant`);
  }
  t.is(overCapacity, 0);
  for (const entry of live.values()) entry.end();
  await eventually(() => table.counts().holders === 0 && table.counts().queued === 0, "every lease gone", 45_000);
  t.log(`${requests} requests, ${grants.size} grants, ${refused} refused, ${cancels} cancelled, ${kills} killed (connection cut)`);
});
