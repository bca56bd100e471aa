// Wire drills: garbage, truncated, oversized and mutated HTTP/2 input, half-open and abandoned
// connections, and connect/close storms against a real agent socket. After each, the agent still
// answers Ping, its connection count returns to baseline, and no open wait is left behind.
import test, { type ExecutionContext } from "ava";
import { type TestAgent, withAgent } from "./helpers/agent.js";
import { collectGarbage, figure, LONG, mib, scale, until } from "./helpers/drill.js";
import {
  callBytes,
  callHeaders,
  Flag,
  frame,
  FrameType,
  grpcMessage,
  parseFrames,
  PREFACE,
  random,
  type RawConnection,
  rawConnect,
  stringField1,
} from "./helpers/h2.js";

const SEED = Number(process.env.UNITSYNC_FUZZ_SEED ?? Date.now() % 1_000_000);

// Each drill measures memory and connection counts: run them one at a time.
const drill = test.serial;

async function pingCounts(h: TestAgent) {
  const response = await h.client.ping({}, { deadline: new Date(Date.now() + 45_000) });
  return response.counts!;
}

/** The agent answers Ping, holds only the test client's connection, and no wait or stream is open. */
async function backToBaseline(t: ExecutionContext, h: TestAgent, what: string): Promise<void> {
  await until(async () => {
    const c = await pingCounts(h);
    return c.connections === 1 && c.waiters === 0 && c.streams === 0;
  }, `${what}: connections, waiters and streams back to baseline`, 15_000);
  t.false(
    h.logs.some((line) => line.includes("internal error")),
    `${what}: the agent logged an internal error: ${h.logs.join("\n")}`,
  );
}

/** Resolves when every promise has, or rejects after `ms` naming `what`. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Sends `bytes` on a fresh connection, then ends it (or destroys it). Resolves once sent, with a
 * promise that resolves when the connection has closed: the agent must close what we only end.
 */
async function send(path: string, bytes: Buffer, end: "end" | "destroy" = "end"): Promise<{ closed: Promise<void> }> {
  const connection = await rawConnect(path);
  connection.socket.write(bytes);
  if (end === "end") connection.socket.end();
  else connection.socket.destroy();
  return { closed: connection.closed };
}

/** Runs `task(i)` for every i < count, at most `width` at a time. */
async function inPool(count: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker));
}

/** Keepalive pings every 100 ms, so the agent drops dead connections within a test's patience. */
const FAST_KEEPALIVE = { keepaliveMs: 100, keepaliveTimeoutMs: 100 };

async function agentWithWaitingUnit(t: ExecutionContext, keepalive = FAST_KEEPALIVE): Promise<TestAgent> {
  const h = await withAgent(t, keepalive);
  await h.client.want({ unit: "waiter", dependsOn: ["gate"] });
  await pingCounts(h); // the test client's connection is up: baseline is 1
  return h;
}

drill("a well-formed hand-made call is answered (the drills' bytes are real HTTP/2)", async (t) => {
  const h = await agentWithWaitingUnit(t);
  const connection = await rawConnect(h.socketPath);
  connection.socket.write(callBytes("GetUnit", stringField1("waiter")));
  await until(() => parseFrames(connection.received()).some((f) => f.type === FrameType.HEADERS && f.flags & Flag.END_STREAM), "trailers");
  const frames = parseFrames(connection.received());
  const data = frames.find((f) => f.type === FrameType.DATA && f.streamId === 1);
  t.truthy(data, "a response message arrived");
  t.true(data!.payload.includes(Buffer.from("waiter")), "the response names the unit");
  connection.socket.end();
  await connection.closed;
  await backToBaseline(t, h, "well-formed call");
});

drill("garbage bytes, with and without a valid preface", async (t) => {
  const h = await agentWithWaitingUnit(t);
  const rng = random(SEED);
  const count = scale("UNITSYNC_WIRE_INPUTS", 300, 10_000);
  let bytesSent = 0;
  await inPool(count, 50, async (i) => {
    const body = rng.bytes(1 + rng.int(i % 10 === 0 ? 70_000 : 2_048));
    const bytes = i % 2 === 0 ? Buffer.concat([PREFACE, body]) : body;
    bytesSent += bytes.length;
    await within(10_000, "the agent to close a garbage connection", (await send(h.socketPath, bytes, i % 3 === 0 ? "destroy" : "end")).closed);
  });
  await backToBaseline(t, h, "garbage");
  figure(t, "wire-garbage", { seed: SEED, inputs_tried: count, bytes_sent: bytesSent });
});

drill("truncated frames: a valid call cut anywhere, and frames that promise more than they carry", async (t) => {
  const h = await agentWithWaitingUnit(t);
  const rng = random(SEED + 1);
  const whole = callBytes("Start", stringField1("waiter"));
  const count = scale("UNITSYNC_WIRE_INPUTS", 300, 10_000);
  await inPool(count, 50, async (i) => {
    let bytes: Buffer;
    if (i % 2 === 0) {
      bytes = whole.subarray(0, 1 + rng.int(whole.length - 1));
    } else {
      const type = [FrameType.DATA, FrameType.HEADERS, FrameType.SETTINGS, FrameType.PING, FrameType.WINDOW_UPDATE, 0x42][rng.int(6)]!;
      const payload = rng.bytes(rng.int(64));
      bytes = Buffer.concat([PREFACE, frame(FrameType.SETTINGS, 0, 0), frame(type, rng.int(256), rng.int(4), payload, payload.length + 1 + rng.int(16_000))]);
    }
    await within(10_000, "the agent to close a truncated connection", (await send(h.socketPath, bytes, i % 4 === 0 ? "destroy" : "end")).closed);
  });
  await backToBaseline(t, h, "truncated frames");
  t.is(h.agent.registry.get("waiter").status, "pending", "no truncated Start started the unit");
  figure(t, "wire-truncated", { seed: SEED, inputs_tried: count });
});

drill("oversized frames are refused and the connection closed by the agent; oversized messages are refused", async (t) => {
  const h = await agentWithWaitingUnit(t);
  const rng = random(SEED + 2);
  let inputs = 0;
  // A frame longer than the 16 KiB the agent allows: the agent says GOAWAY and ends the connection.
  const cases = [FrameType.DATA, FrameType.HEADERS, FrameType.SETTINGS, FrameType.PING, 0x42].flatMap((type) => [16_385, 1 << 20, 0xffffff].map((length) => ({ type, length })));
  await Promise.all(
    cases.map(async ({ type, length }) => {
      inputs++;
      const connection = await rawConnect(h.socketPath);
      const stream = type === FrameType.SETTINGS || type === FrameType.PING ? 0 : 1;
      connection.socket.write(Buffer.concat([PREFACE, frame(FrameType.SETTINGS, 0, 0), frame(type, 0, stream, rng.bytes(64), length)]));
      await within(10_000, `frame type ${type} of ${length} bytes: the agent to close the connection`, connection.closed);
      const goaway = parseFrames(connection.received()).find((f) => f.type === FrameType.GOAWAY);
      t.truthy(goaway, `frame type ${type} of ${length} bytes: the agent said GOAWAY`);
    }),
  );
  // A gRPC message that claims 4 GiB, and a real one of 100 KiB (over the 64 KiB limit).
  const big = Buffer.alloc(100 * 1024, 0x61);
  for (const message of [grpcMessage(stringField1("liar"), 0xffffffff), grpcMessage(Buffer.concat([stringField1("big"), big]))]) {
    inputs++;
    const connection = await rawConnect(h.socketPath);
    const data = [];
    for (let at = 0; at < message.length; at += 16_384) {
      data.push(frame(FrameType.DATA, at + 16_384 >= message.length ? Flag.END_STREAM : 0, 1, message.subarray(at, at + 16_384)));
    }
    connection.socket.write(Buffer.concat([PREFACE, frame(FrameType.SETTINGS, 0, 0), frame(FrameType.WINDOW_UPDATE, 0, 0, Buffer.from([0, 1, 0, 0])), callHeaders("Start"), ...data]));
    await until(() => parseFrames(connection.received()).some((f) => f.type === FrameType.HEADERS && f.flags & Flag.END_STREAM || f.type === FrameType.RST_STREAM || f.type === FrameType.GOAWAY), "the agent to answer the oversized message");
    connection.socket.end();
    await connection.closed;
  }
  t.is(h.agent.registry.get("liar").status, "not registered");
  t.is(h.agent.registry.get("big").status, "not registered");
  await backToBaseline(t, h, "oversized");
  figure(t, "wire-oversized", { seed: SEED, inputs_tried: inputs });
});

drill("mutated calls: bit flips in valid Want, Start and Watch calls", async (t) => {
  const h = await agentWithWaitingUnit(t);
  const rng = random(SEED + 3);
  const want = Buffer.concat([stringField1("mut"), Buffer.from([0x12, 0x04]), Buffer.from("gate")]);
  const originals = [callBytes("Want", want), callBytes("Start", stringField1("waiter")), callBytes("Watch"), callBytes("Ping")];
  const count = scale("UNITSYNC_WIRE_INPUTS", 300, 10_000);
  await inPool(count, 25, async (i) => {
    const bytes = Buffer.from(originals[i % originals.length]!);
    for (let flips = 1 + rng.int(8); flips > 0; flips--) {
      const at = PREFACE.length + rng.int(bytes.length - PREFACE.length);
      bytes[at] = bytes[at]! ^ (1 << rng.int(8));
    }
    const connection = await rawConnect(h.socketPath);
    connection.socket.write(bytes);
    // Give a call that survived the flips a moment to be served, then leave.
    await new Promise((resolve) => setTimeout(resolve, rng.int(3)));
    connection.socket.destroy();
    await connection.closed;
  });
  await backToBaseline(t, h, "mutated calls");
  figure(t, "wire-mutated", { seed: SEED, inputs_tried: count });
});

drill("half-open connections (a preface then silence, never reading) are closed by the agent itself", async (t) => {
  const count = scale("UNITSYNC_WIRE_HALF_OPEN", 100, 2_000);
  // Slower keepalive here, so the connections are still held when the agent serves a real client.
  const h = await agentWithWaitingUnit(t, { keepaliveMs: 2_000 + count * 2, keepaliveTimeoutMs: 1_000 });
  let peak = 0;
  const connections: RawConnection[] = [];
  await inPool(count, 100, async (i) => {
    const connection = await rawConnect(h.socketPath, { read: false });
    // One of them opens a Start that waits, and then never reads again.
    const bytes = i === 0 ? callBytes("Start", stringField1("waiter")) : i % 3 === 0 ? Buffer.alloc(0) : i % 3 === 1 ? PREFACE : Buffer.concat([PREFACE, frame(FrameType.SETTINGS, 0, 0)]);
    connection.socket.write(bytes);
    connections.push(connection);
  });
  // The agent accepts them (all, or most before the first are dropped), and serves real clients meanwhile.
  await until(async () => {
    peak = Math.max(peak, (await pingCounts(h)).connections - 1);
    return peak >= count / 2;
  }, "the agent to hold the half-open connections");
  await h.client.want({ unit: "other", dependsOn: ["gate"] });
  // We never close them (and, never reading, would not even notice a close): the agent must.
  t.teardown(() => connections.forEach((c) => c.socket.destroy()));
  await backToBaseline(t, h, "half-open");
  t.false(h.agent.registry.get("waiter").waiting, "the Start of a connection that stopped reading no longer waits");
  figure(t, "wire-half-open", { connections: count, held_at_once: peak });
});

drill("keepalive never drops a healthy client that waits quietly", async (t) => {
  const keepalive = { keepaliveMs: 100, keepaliveTimeoutMs: 100 };
  const h = await agentWithWaitingUnit(t, keepalive);
  const waiter = h.newClient();
  const events: string[] = [];
  const done = (async () => {
    for await (const { event } of waiter.start({ unit: "waiter" })) events.push(event.case ?? "");
  })();
  await until(() => h.agent.registry.get("waiter").waiting, "the wait to begin");
  // Ten keepalive rounds pass while the wait is idle.
  await new Promise((resolve) => setTimeout(resolve, 10 * (keepalive.keepaliveMs + keepalive.keepaliveTimeoutMs)));
  t.true(h.agent.registry.get("waiter").waiting, "still waiting");
  for await (const _ of h.client.start({ unit: "gate" }));
  await h.client.complete({ unit: "gate" });
  await done;
  t.deepEqual(events, ["waiting", "dependencySatisfied", "started"]);
});

drill("abandoned connections: dropped before, during and after a call", async (t) => {
  const h = await agentWithWaitingUnit(t);
  const count = scale("UNITSYNC_WIRE_INPUTS", 300, 10_000);
  const start = callBytes("Start", stringField1("waiter"));
  await inPool(count, 25, async (i) => {
    const connection = await rawConnect(h.socketPath);
    if (i % 3 === 1) connection.socket.write(start.subarray(0, 10 + (i % (start.length - 10))));
    if (i % 3 === 2) {
      // Only one Start may wait on "waiter": the others are refused, which is fine; leave at once.
      connection.socket.write(start);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    connection.socket.destroy();
    await connection.closed;
  });
  await backToBaseline(t, h, "abandoned");
  t.false(h.agent.registry.get("waiter").waiting);
  figure(t, "wire-abandoned", { inputs_tried: count });
});

drill("connect/close storms; memory returns near its baseline", async (t) => {
  const h = await agentWithWaitingUnit(t);
  const cycles = scale("UNITSYNC_WIRE_CYCLES", 2_000, 50_000);
  const settle = async () => {
    await backToBaseline(t, h, "connect/close");
    collectGarbage();
    await new Promise((resolve) => setTimeout(resolve, 50));
    collectGarbage();
    return process.memoryUsage();
  };
  // Warm up, so lazily built parts of the agent are in the baseline.
  await inPool(200, 50, async (i) => (await send(h.socketPath, i % 2 ? PREFACE : Buffer.alloc(0))).closed);
  const before = await settle();
  let peakRss = before.rss;
  await inPool(cycles, 50, async (i) => {
    await (await send(h.socketPath, i % 4 === 0 ? Buffer.alloc(0) : i % 4 === 1 ? PREFACE : callBytes("Ping"), i % 2 ? "end" : "destroy")).closed;
    if (i % 500 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
  });
  const after = await settle();
  const heapGrowth = after.heapUsed - before.heapUsed;
  figure(t, "wire-cycles", {
    cycles,
    rss_before_mib: mib(before.rss),
    rss_peak_mib: mib(peakRss),
    rss_after_gc_mib: mib(after.rss),
    heap_before_mib: mib(before.heapUsed),
    heap_after_gc_mib: mib(after.heapUsed),
  });
  // Loose, and only in the long form: many cycles would show a leak of even a few hundred bytes each.
  if (LONG) t.true(heapGrowth < 16 * 1024 * 1024, `heap grew by ${mib(heapGrowth)} MiB over ${cycles} cycles`);
  else t.pass();
});
