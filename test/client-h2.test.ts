// The node:http2 client against a real agent on a real Unix socket: deadlines, cancels, a killed
// agent, GOAWAY, large answers, trailers (error kind, percent-encoded messages), shared and
// separate connections, and a burst of lock releases over one client.
import { createServer, constants } from "node:http2";
import { join } from "node:path";
import test from "ava";
import { type UnitSyncClient, connect } from "../src/client/client.js";
import { describeFailure, errorKind } from "../src/client/errors.js";
import { ExitCode } from "../src/client/exit-codes.js";
import { isReconnectable } from "../src/client/reconnect.js";
import { Status } from "../src/client/status-codes.js";
import { acquireLease } from "../src/runner/lease.js";
import { eventually, tempDir, withAgent } from "./helpers/agent.js";
import { cli } from "./helpers/cli.js";
import { spawnAgent } from "./helpers/drill-agent.js";
import { consume } from "./helpers/streams.js";

interface CallFailure {
  code: number;
  details: string;
}

async function failure(t: import("ava").ExecutionContext, call: Promise<unknown> | (() => Promise<unknown>)): Promise<CallFailure & Error> {
  const error = await t.throwsAsync(typeof call === "function" ? call() : call);
  return error as unknown as CallFailure & Error;
}

const drain = async (stream: AsyncIterable<unknown>) => {
  for await (const _ of stream);
};

test("a deadline ends a wait with DEADLINE_EXCEEDED (exit 4) and leaves no waiter behind", async (t) => {
  const h = await withAgent(t);
  await h.client.want({ unit: "app", dependsOn: ["db"] });
  const error = await failure(t, drain(h.client.start({ unit: "app" }, { deadline: new Date(Date.now() + 100) })));
  t.is(error.code, Status.DEADLINE_EXCEEDED);
  t.is(describeFailure(error, h.socketPath).exitCode, ExitCode.timeout);
  await eventually(() => h.agent.registry.counts().waiters === 0, "the waiter to go");
  const past = await failure(t, h.client.ping({}, { deadline: new Date(Date.now() - 1) }));
  t.is(past.code, Status.DEADLINE_EXCEEDED, "a deadline already past fails without a call");
  const started = await cli(["start", "app", "--timeout", "150ms", "--socket", h.socketPath]);
  t.is(started.code, ExitCode.timeout, started.stderr);
  t.regex(started.stderr, /timeout waiting for dependencies of unit 'app'/);
});

test("cancelling a lease stream releases the lock at once: the next in line is granted", async (t) => {
  const h = await withAgent(t);
  const other = connect(h.socketPath, { separate: true });
  t.teardown(() => other.close());
  const cancel = new AbortController();
  const first = consume(h.client.acquireLocks({ leaseId: "a", unit: "a", pid: 1, locks: [{ name: "dpkg", capacity: 0 }] }, { signal: cancel.signal }));
  await first.received(1);
  t.is((first.messages[0] as { event: { case: string } }).event.case, "granted");
  const second = consume(other.acquireLocks({ leaseId: "b", unit: "b", pid: 2, locks: [{ name: "dpkg", capacity: 0 }] }));
  await second.received(1);
  t.is((second.messages[0] as { event: { case: string } }).event.case, "queued");
  cancel.abort();
  t.is((await first.ended)?.code, Status.CANCELLED);
  await second.received(2);
  t.is((second.messages[1] as { event: { case: string } }).event.case, "granted");
  const { locks } = await h.client.listLocks({});
  t.deepEqual(locks.flatMap((l) => l.holders.map((holder) => holder.leaseId)), ["b"]);
});

test("an agent killed mid-stream ends the stream with UNAVAILABLE; later calls too (exit 3)", async (t) => {
  const agent = await spawnAgent(t);
  const client = connect(agent.socketPath, { separate: true });
  t.teardown(() => client.close());
  const watch = consume(client.watch({}));
  await watch.received(1);
  agent.spawned.child.kill("SIGKILL");
  const ended = await watch.ended;
  t.is(ended?.code, Status.UNAVAILABLE, ended?.details);
  t.true(isReconnectable(ended));
  const next = await failure(t, client.ping({}));
  t.is(next.code, Status.UNAVAILABLE, next.details);
  t.is(describeFailure(next, agent.socketPath).exitCode, ExitCode.unreachable);
  const none = await failure(t, connect(join(agent.dir, "none.sock")).ping({}));
  t.is(none.code, Status.UNAVAILABLE);
  t.regex(none.details, /ENOENT/);
});

test("GOAWAY mid-call is UNAVAILABLE; the next call gets a new connection and reads a trailers-only status", async (t) => {
  const socketPath = join(tempDir(t), "fake.sock");
  let connections = 0;
  const server = createServer();
  server.on("session", (session) => {
    // the first connection: GOAWAY as nghttp2 sends it when a client resets too many streams
    if (++connections === 1) session.on("stream", () => session.goaway(constants.NGHTTP2_INTERNAL_ERROR));
  });
  server.on("stream", (stream) => {
    if (connections === 1) return;
    stream.respond(
      { ":status": 200, "content-type": "application/grpc", "grpc-status": "9", "grpc-message": "unit %22%C3%BC 100%25%22 is blocked", "unitsync-error-kind": "dependency-failed" },
      { endStream: true },
    );
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const client = connect(socketPath, { separate: true });
  t.teardown(() => client.close());
  const refused = await failure(t, drain(client.watch({})));
  t.is(refused.code, Status.UNAVAILABLE, refused.details);
  const blocked = await failure(t, client.ping({}));
  t.is(blocked.code, Status.FAILED_PRECONDITION);
  t.is(blocked.details, 'unit "ü 100%" is blocked');
  t.is(errorKind(blocked), "dependency-failed");
  t.is(describeFailure(blocked, socketPath).exitCode, ExitCode.dependencyFailed);
  t.is(connections, 2);
});

test("a connection lets the agent send far more than HTTP/2's first 64 KiB before this side reads (many streams woken at once)", async (t) => {
  const socketPath = join(tempDir(t), "fake.sock");
  const windows: number[] = [];
  const server = createServer();
  server.on("stream", (stream) => {
    windows.push(stream.session!.state.remoteWindowSize ?? 0);
    stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "5", "grpc-message": "none" }, { endStream: true });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const client = connect(socketPath, { separate: true });
  t.teardown(() => client.close());
  await failure(t, client.ping({}));
  await failure(t, client.ping({})); // the connection's window update has arrived by now
  t.true(windows[1]! > 1024 * 1024, `the agent may send ${windows[1]} bytes`);
});

test("a 10,000-unit list is read whole", async (t) => {
  const h = await withAgent(t, { limits: { units: 20_000 } });
  for (let i = 0; i < 10_000; i++) h.agent.registry.want(`unit ${i} with a longer name, ü`, ["gate"]);
  const { units } = await h.client.listUnits({});
  t.is(units.length, 10_000);
  t.is(units.filter((u) => u.name.endsWith(", ü")).length, 10_000);
  const { entries } = await h.client.getTimeline({});
  t.true(entries.length >= 10_000, `${entries.length} timeline entries`);
});

test("error kinds and messages with non-ASCII and percent characters arrive as the agent wrote them", async (t) => {
  const h = await withAgent(t);
  await h.client.want({ unit: "a ✓ %41", dependsOn: ["b 100%"] });
  const cycle = await failure(t, h.client.want({ unit: "b 100%", dependsOn: ["a ✓ %41"] }));
  t.is(cycle.code, Status.FAILED_PRECONDITION);
  t.is(cycle.details, "cycle detected: b 100% -> a ✓ %41 -> b 100%");
  t.is(errorKind(cycle), "cycle");
  await h.client.fail({ unit: "a ✓ %41", reason: "disk 100% full — ü %E2 🙂" });
  const complete = await failure(t, h.client.complete({ unit: "a ✓ %41" }));
  t.is(complete.details, 'unit "a ✓ %41" already failed (disk 100% full — ü %E2 🙂); it cannot complete');
  t.is(errorKind(complete), "illegal-transition");
});

test("clients of one process share a connection; separate ones get their own", async (t) => {
  const h = await withAgent(t);
  const connections = async (client: UnitSyncClient) => (await client.ping({})).counts!.connections;
  const shared = connect(h.socketPath);
  t.teardown(() => shared.close());
  t.is(await connections(shared), 1);
  t.is(await connections(h.client), 1);
  const own = connect(h.socketPath, { separate: true });
  t.teardown(() => own.close());
  t.is(await connections(own), 2);
  own.close();
  const closed = await failure(t, own.ping({}));
  t.is(closed.code, Status.CANCELLED, "a closed client makes no calls: its calls end CANCELLED, which nothing retries");
});

test("2,000 leases taken and released in a burst over one client all end released, and its other streams live on", async (t) => {
  t.timeout(120_000);
  const h = await withAgent(t);
  const client = connect(h.socketPath);
  t.teardown(() => client.close());
  const watch = consume(client.watch({}));
  await watch.received(1);
  const keeper = await acquireLease(client, { locks: [{ name: "keeper", capacity: 0 }], timeoutMs: 0 });
  let keeperLost: Error | undefined;
  void keeper.lost.then((error) => (keeperLost = error));
  const leases = await Promise.all(Array.from({ length: 2_000 }, (_, i) => acquireLease(client, { locks: [{ name: `l${i}`, capacity: 0 }], unit: `u${i}`, timeoutMs: 0 })));
  t.is(leases.length, 2_000);
  for (const lease of leases) lease.release();
  const held = async () => (await client.listLocks({})).locks.flatMap((l) => l.holders.map((holder) => holder.leaseId));
  let holders: string[] = [];
  await eventually(() => {
    void held().then((ids) => (holders = ids), () => {});
    return holders.length === 1;
  }, "every burst lease to be released");
  t.deepEqual(holders, [keeper.leaseId]);
  const seen = watch.messages.length;
  await client.want({ unit: "after-burst", dependsOn: ["x"] });
  await watch.received(seen + 1);
  t.false(watch.isEnded(), "the watch on the same client is still open");
  t.is(keeperLost, undefined, "the lease held through the burst is still held");
  keeper.release();
});
