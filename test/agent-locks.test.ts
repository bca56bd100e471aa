// AcquireLocks and ListLocks against a real agent: the stream is the lease, released when it
// ends for any reason; capacities, names, FIFO, status and ping counts.
import * as http2 from "node:http2";
import * as net from "node:net";
import { create, toBinary } from "@bufbuild/protobuf";
import { status } from "@grpc/grpc-js";
import test from "ava";
import { type AcquireLocksResponse, AcquireLocksRequestSchema } from "../gen/unitsync/v1/unitsync_pb.js";
import { acquireLease } from "../src/runner/lease.js";
import { eventually, withAgent } from "./helpers/agent.js";
import { grpcMessage } from "./helpers/h2.js";
import { consume } from "./helpers/streams.js";

let ids = 0;
const req = (locks: string, unit = "") => ({
  leaseId: `t-${++ids}`,
  unit,
  pid: 1,
  locks: locks.split(",").map((s) => ({ name: s.split(":")[0]!, capacity: Number(s.split(":")[1] ?? 0) })),
});

function describe({ event }: AcquireLocksResponse): string {
  if (event.case === "granted") return `granted [${event.value.locks}]`;
  if (event.case === "queued") return `queued ${event.value.blockers.map((b) => `${b.lock} by [${b.heldBy}] ahead ${b.queuedAhead}`).join("; ")}`;
  return "unknown";
}

test("the stream is the lease: granted while open, queued requests told who holds it, released when cancelled", async (t) => {
  const { client, agent } = await withAgent(t);
  const holder = new AbortController();
  const a = consume(client.acquireLocks(req("dpkg", "apt-a"), { signal: holder.signal }));
  await a.received(1);
  t.deepEqual(a.messages.map(describe), ["granted [dpkg]"]);
  const b = consume(client.acquireLocks(req("dpkg", "apt-b")));
  await b.received(1);
  t.deepEqual(b.messages.map(describe), ["queued dpkg by [apt-a] ahead 0"]);
  const listed = await client.listLocks({});
  t.deepEqual(
    listed.locks.map((l) => [l.name, l.capacity, l.holders.map((h) => h.holder), l.queue.map((q) => q.holder)]),
    [["dpkg", 1, ["apt-a"], ["apt-b"]]],
  );
  t.deepEqual((await client.getUnit({ unit: "apt-b" })).unit!.locksWaiting, ["dpkg"]);
  t.deepEqual((await client.getUnit({ unit: "apt-a" })).unit!.locksHeld, ["dpkg"]);
  holder.abort();
  t.is((await a.ended)?.code, status.CANCELLED);
  await b.received(2);
  t.deepEqual(b.messages.map(describe).slice(1), ["granted [dpkg]"]);
  const counts = (await client.ping({})).counts!;
  t.like(counts, { locks: 1, lockHolders: 1, lockRequestsQueued: 0 });
  // agent shutdown ends the held lease with UNAVAILABLE, so the holder knows
  await agent.close();
  t.is((await b.ended)?.code, status.UNAVAILABLE);
  t.deepEqual(agent.context.locks.counts(), { locks: 1, holders: 0, queued: 0 });
});

/** An AcquireLocks call on a raw HTTP/2 connection of its own, so the test can cut the connection as a dying client would. */
function rawAcquire(socketPath: string, request: ReturnType<typeof req>) {
  const socket = net.connect(socketPath);
  const session = http2.connect("http://localhost", { createConnection: () => socket });
  session.on("error", () => {});
  const stream = session.request({ ":method": "POST", ":path": "/unitsync.v1.UnitSyncService/AcquireLocks", "content-type": "application/grpc", te: "trailers" });
  stream.on("error", () => {});
  stream.end(grpcMessage(Buffer.from(toBinary(AcquireLocksRequestSchema, create(AcquireLocksRequestSchema, request)))));
  let bytes = 0;
  stream.on("data", (chunk: Buffer) => (bytes += chunk.length));
  return { received: () => bytes, cut: () => socket.destroy() };
}

test("a client whose connection dies releases its lease and its queued request at once", async (t) => {
  const { client, agent, socketPath } = await withAgent(t);
  const held = rawAcquire(socketPath, req("x", "dies"));
  await eventually(() => held.received() > 0, "the raw lease granted");
  const queued = rawAcquire(socketPath, req("x,y", "dies-too"));
  await eventually(() => agent.context.locks.counts().queued === 1, "queued");
  const next = consume(client.acquireLocks(req("y")));
  await next.received(1);
  t.deepEqual(next.messages.map(describe), ["queued y by [] ahead 1"]);
  held.cut();
  queued.cut();
  await next.received(2);
  t.is(describe(next.messages[1]!), "granted [y]");
  await eventually(() => agent.context.locks.counts().holders === 1, "only the new holder left");
  t.deepEqual(agent.context.locks.counts(), { locks: 2, holders: 1, queued: 0 });
  t.deepEqual(agent.context.locks.leaseList().map((l) => l.unit), [""]);
});

test("FIFO over the wire: waiters queued A then B are granted A then B", async (t) => {
  const { client } = await withAgent(t);
  const holder = new AbortController();
  const h = consume(client.acquireLocks(req("dpkg", "h"), { signal: holder.signal }));
  await h.received(1);
  const order: string[] = [];
  const a = new AbortController();
  const qa = consume(client.acquireLocks(req("dpkg", "A"), { signal: a.signal }), (m) => m.event.case === "granted" && order.push("A"));
  await qa.received(1);
  const qb = consume(client.acquireLocks(req("dpkg", "B")), (m) => m.event.case === "granted" && order.push("B"));
  await qb.received(1);
  t.deepEqual(qb.messages.map(describe), ["queued dpkg by [h] ahead 1"]);
  holder.abort();
  await qa.received(2);
  t.deepEqual(order, ["A"]);
  a.abort();
  await qb.received(2);
  t.deepEqual(order, ["A", "B"]);
});

test("a conflicting capacity is FAILED_PRECONDITION and changes nothing; a bad name is INVALID_ARGUMENT", async (t) => {
  const { client } = await withAgent(t);
  const h = consume(client.acquireLocks(req("builds:2")));
  await h.received(1);
  const before = await client.listLocks({});
  const wrong = consume(client.acquireLocks(req("builds:3,other")));
  const error = await wrong.ended;
  t.is(error?.code, status.FAILED_PRECONDITION);
  t.regex(error!.details, /lock "builds" has capacity 2, not 3/);
  t.deepEqual((await client.listLocks({})).locks, before.locks);
  const bad = await consume(client.acquireLocks(req("bad\u0001name"))).ended;
  t.is(bad?.code, status.INVALID_ARGUMENT);
  t.regex(bad!.details, /lock names follow the unit-name rule/);
  t.deepEqual((await client.listLocks({})).locks, before.locks);
});

test("acquireLease: progress names the holder and queue, the timeout is exit 4 and leaves nothing queued", async (t) => {
  const { client, agent } = await withAgent(t);
  const first = await acquireLease(client, { locks: [{ name: "dpkg", capacity: 0 }], unit: "apt-tools", timeoutMs: 0 });
  const lines: string[] = [];
  const waiting = acquireLease(client, { locks: [{ name: "dpkg", capacity: 0 }], unit: "apt-b", timeoutMs: 0, progress: (l) => lines.push(l) });
  await eventually(() => lines.length === 1, "first progress line");
  const late: string[] = [];
  const timing = acquireLease(client, { locks: [{ name: "dpkg", capacity: 0 }], unit: "apt-c", timeoutMs: 200, progress: (l) => late.push(l) });
  const error = await t.throwsAsync(timing);
  t.is((error as { exitCode?: number }).exitCode, 4);
  // the queued message names the holder; on a loaded machine the timeout may come before it arrives
  t.regex(error!.message, /^timeout waiting for lock "dpkg" after 200ms(; held by "apt-tools")?$/);
  t.true(late.length <= 1);
  if (late.length === 1) t.is(late[0], 'waiting for lock "dpkg", held by "apt-tools" (1 queued ahead)');
  t.deepEqual(lines, ['waiting for lock "dpkg", held by "apt-tools"']);
  first.release();
  const second = await waiting;
  t.regex(lines[1]!, /^lock "dpkg" granted after /);
  second.release();
  await eventually(() => agent.context.locks.counts().holders === 0, "released");
  t.deepEqual(agent.context.locks.counts(), { locks: 1, holders: 0, queued: 0 });
});
