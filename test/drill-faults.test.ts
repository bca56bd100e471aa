// Fault drills: the agent stopped (SIGTERM) or killed (SIGKILL) under waiting clients, waiting
// clients killed, deadlines and cancels by the thousand, and a burst of RPCs over 1,000 waiters.
// Every wait must end exactly once, with the right code, and leave nothing behind.
import { getEventListeners } from "node:events";
import test, { type ExecutionContext } from "ava";
import { status as Code, type ServiceError } from "@grpc/grpc-js";
import type { UnitSyncClient } from "../src/client/client.js";
import { withAgent } from "./helpers/agent.js";
import { spawnAgent } from "./helpers/drill-agent.js";
import { cli, spawnCli, type Spawned } from "./helpers/cli.js";
import { collectGarbage, figure, mib, processRss, scale, separateClient, until } from "./helpers/drill.js";

/** How a Start stream ended, as its client saw it. */
interface WaitEnd {
  started: boolean;
  code: number;
  details: string;
  /** How many times the stream reported an end (must be 1). */
  ends: number;
}

/** Opens a Start for `unit` and records how it ends; `began` resolves at the first message. */
function openWait(client: UnitSyncClient, unit: string, deadline?: Date, signal?: AbortSignal) {
  const call = client.start({ unit }, { ...(deadline ? { deadline } : {}), ...(signal ? { signal } : {}) });
  const end: WaitEnd = { started: false, code: -1, details: "", ends: 0 };
  let began!: () => void;
  const beganPromise = new Promise<void>((resolve) => (began = resolve));
  const ended = (code: number, details: string) => {
    end.ends++;
    end.code = code;
    end.details = details;
    began();
  };
  const done = (async () => {
    try {
      for await (const message of call) {
        began();
        if (message.event.case === "started") end.started = true;
      }
      ended(Code.OK, "");
    } catch (error) {
      ended((error as ServiceError).code, (error as ServiceError).details);
    }
    // Later reports would still be counted: resolve after this turn.
    await new Promise((resolve) => setImmediate(resolve));
    return end;
  })();
  return { began: beganPromise, done, end };
}

/**
 * Lets the event loop turn every 100 calls. With client and agent in one process, thousands of
 * streams opened in a single tick can stall (seen with grpc-js on Node 20; separate processes do not).
 */
async function paced(i: number): Promise<void> {
  if (i > 0 && i % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
}

function clients(make: () => UnitSyncClient, n: number): UnitSyncClient[] {
  return Array.from({ length: n }, make);
}

async function pingJson(socketPath: string) {
  const result = await cli(["ping", "-o", "json", "--socket", socketPath]);
  if (result.code !== 0) throw new Error(result.stderr);
  return JSON.parse(result.stdout) as { waiters: number; streams: number; connections: number; units: number };
}

/** Waits for a spawned process to exit, failing after `ms` (a generous bound, not a speed claim). */
async function exited(spawned: Spawned, ms: number, what: string) {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not exit within ${ms} ms`)), ms)));
  try {
    return await Promise.race([spawned.done, bound]);
  } finally {
    clearTimeout(timer);
  }
}

async function cliWaiters(t: ExecutionContext, socketPath: string, units: string[], extra: string[] = []): Promise<Spawned[]> {
  const spawned = units.map((unit) => spawnCli(["start", unit, "--socket", socketPath, "--timeout", "0", ...extra]));
  t.teardown(() => spawned.forEach((s) => s.child.exitCode === null && s.child.kill("SIGKILL")));
  return spawned;
}

test("SIGTERM with waiting Starts: every wait ends UNAVAILABLE, every CLI (--reconnect 0) exits 3, the agent exits 0", async (t) => {
  const agent = await spawnAgent(t);
  const n = scale("UNITSYNC_DRILL_SIGTERM_WAITS", 100, 1_000);
  const pool = clients(() => separateClient(agent.socketPath), 4);
  t.teardown(() => pool.forEach((c) => c.close()));
  const waiters = Array.from({ length: n }, (_, i) => `w-${i}`);
  const cliUnits = ["cli-0", "cli-1", "cli-2"];
  for (const unit of [...waiters, ...cliUnits]) await agent.client.want({ unit, dependsOn: ["gate"] });
  const waits = [];
  for (const [i, unit] of waiters.entries()) {
    await paced(i);
    waits.push(openWait(pool[i % pool.length]!, unit));
  }
  const processes = await cliWaiters(t, agent.socketPath, cliUnits, ["--reconnect", "0"]);
  await until(async () => (await agent.counts()).waiters === n + cliUnits.length, `${n + cliUnits.length} waiters`, 30_000);

  const agentRss = processRss(agent.pid) ?? 0;
  const signalled = Date.now();
  agent.spawned.child.kill("SIGTERM");
  const ends = await Promise.all(waits.map((w) => w.done));
  const results = await Promise.all(processes.map((p) => exited(p, 10_000, "a waiting unitsync start")));
  const agentExit = await exited(agent.spawned, 10_000, "the agent");
  const allEndedMs = Date.now() - signalled;

  for (const end of ends) {
    t.is(end.ends, 1);
    t.is(end.code, Code.UNAVAILABLE);
    t.is(end.details, "agent shutting down");
    t.false(end.started);
  }
  for (const [i, result] of results.entries()) {
    t.is(result.code, 3, result.stderr);
    t.is(result.stderr, `unitsync: start ${cliUnits[i]}: agent shutting down\n`);
  }
  t.is(agentExit.code, 0, agentExit.stderr);
  t.regex(agentExit.stderr, /SIGTERM received, shutting down/);
  figure(t, "fault-sigterm", { waiters: n + cliUnits.length, waiters_resolved: ends.length + results.length, all_ended_ms: allEndedMs, agent_rss_mib: mib(agentRss) });
});

test("SIGKILL of the agent under waiting Starts with --reconnect 0: the CLIs exit 3 naming the socket", async (t) => {
  const agent = await spawnAgent(t);
  const units = ["k-0", "k-1", "k-2", "k-3"];
  for (const unit of units) await agent.client.want({ unit, dependsOn: ["gate"] });
  const inProcess = openWait(agent.client, "k-3");
  const processes = await cliWaiters(t, agent.socketPath, units.slice(0, 3), ["--reconnect", "0"]);
  await until(async () => (await agent.counts()).waiters === units.length, "every wait to begin", 20_000);

  const killed = Date.now();
  agent.spawned.child.kill("SIGKILL");
  const results = await Promise.all(processes.map((p) => exited(p, 10_000, "a waiting unitsync start")));
  const end = await inProcess.done;
  for (const result of results) {
    t.is(result.code, 3, result.stderr);
    t.true(result.stderr.includes(agent.socketPath), result.stderr);
  }
  t.is(end.code, Code.UNAVAILABLE);
  t.is(end.ends, 1);
  figure(t, "fault-sigkill-agent", { waiters: units.length, waiters_resolved: results.length + 1, all_ended_ms: Date.now() - killed });
});

test("waiting CLIs killed with SIGKILL: the agent's waiter count (ping -o json) returns to 0", async (t) => {
  const agent = await spawnAgent(t);
  const units = Array.from({ length: scale("UNITSYNC_DRILL_KILLED_CLIS", 5, 50) }, (_, i) => `c-${i}`);
  for (const unit of units) await agent.client.want({ unit, dependsOn: ["gate"] });
  const processes = await cliWaiters(t, agent.socketPath, units);
  await until(async () => (await pingJson(agent.socketPath)).waiters === units.length, "every CLI to wait", 30_000);
  for (const p of processes) p.child.kill("SIGKILL");
  await Promise.all(processes.map((p) => exited(p, 10_000, "a killed CLI")));
  await until(async () => {
    const counts = await pingJson(agent.socketPath);
    return counts.waiters === 0 && counts.streams === 0;
  }, "waiters and streams back to 0");
  // The units can still be started by the next script.
  const again = await spawnCli(["start", units[0]!, "--socket", agent.socketPath, "--timeout", "100ms"]).done;
  t.is(again.code, 4, "a new wait works (and times out, as gate never completes)");
  const real = JSON.parse((await spawnCli(["ping", "-o", "json", "--socket", agent.socketPath]).done).stdout);
  t.is(real.waiters, 0);
  t.is(real.streams, 0);
});

// Serial: it counts the process's active handles, which other tests would change.
test.serial("deadlines and cancels leave no waiter, stream, listener or handle behind", async (t) => {
  const h = await withAgent(t);
  const n = scale("UNITSYNC_DRILL_CANCELS", 200, 5_000);
  const units = Array.from({ length: n }, (_, i) => `d-${i}`);
  for (const unit of [...units, "warm-up"]) h.agent.registry.want(unit, ["gate"]);
  // HTTP/2 rapid-reset protection (nghttp2: a burst of 1,000 resets, then 33 a second) closes a
  // connection that cancels more streams than that: spread the cancels over enough connections.
  const watchers = clients(() => separateClient(h.socketPath), Math.max(4, Math.ceil(n / 400)));
  t.teardown(() => watchers.forEach((c) => c.close()));
  // A warm-up round, so lazily created timers and sockets are part of the baseline.
  await Promise.all(watchers.map((c) => c.ping({})));
  await openWait(h.client, "warm-up", new Date(Date.now() + 50)).done;
  const handles = () => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;
  const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length;
  const baseline = { handles: handles(), timers: timers() };

  const ends: Promise<WaitEnd>[] = [];
  for (const [i, unit] of units.entries()) {
    await paced(i);
    const client = watchers[i % watchers.length]!;
    if (i % 3 === 0) {
      ends.push(openWait(client, unit, new Date(Date.now() + 20 + (i % 50))).done);
    } else if (i % 3 === 1) {
      const cancel = new AbortController();
      const wait = openWait(client, unit, undefined, cancel.signal);
      void wait.began.then(() => cancel.abort());
      ends.push(wait.done);
    } else {
      // A Watch, cancelled once its snapshot arrives.
      const cancel = new AbortController();
      const watch = client.watch({ units: [unit] }, { signal: cancel.signal });
      ends.push(
        (async () => {
          try {
            for await (const _ of watch) cancel.abort();
          } catch (error) {
            return { started: false, code: (error as ServiceError).code, details: "", ends: 1 };
          }
          return { started: false, code: 0, details: "", ends: 1 };
        })(),
      );
    }
  }
  const results = await Promise.all(ends);
  const codes = new Map<number, number>();
  for (const r of results) codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
  t.deepEqual([...codes.keys()].sort(), [Code.CANCELLED, Code.DEADLINE_EXCEEDED].sort(), "each ended by its deadline or its cancel");
  t.true(results.every((r) => r.ends === 1));

  const { registry, context } = h.agent;
  await until(() => registry.counts().waiters === 0 && context.streams === 0 && registry.listenerCount === 0, "waiters, streams and listeners back to 0");
  t.is(getEventListeners(context.shutdown, "abort").length, 0, "no listener left on the shutdown signal");
  await until(() => handles() <= baseline.handles, `active handles back to ${baseline.handles} (now ${handles()})`);
  await until(() => timers() <= baseline.timers, `active timers back to ${baseline.timers} (now ${timers()})`);
  t.true(units.every((unit) => !registry.get(unit).waiting));
  figure(t, "fault-deadlines-cancels", { calls: n, codes: Object.fromEntries(codes), handles: handles(), baseline_handles: baseline.handles, timers: timers(), baseline_timers: baseline.timers });
});

test("a burst of RPCs over concurrent waiters, then shutdown: every wait ends once, as its gate decided; Watch seqs are contiguous", async (t) => {
  // A long grace: the Watch may still be flushing a backlog of events when shutdown begins.
  const h = await withAgent(t, { graceMs: 30_000 });
  const n = scale("UNITSYNC_DRILL_WAITERS", 1_000, 5_000);
  const rpcs = scale("UNITSYNC_DRILL_RPCS", 10_000, 100_000);
  const gates = 20;
  const pool = clients(() => separateClient(h.socketPath), 8);
  t.teardown(() => pool.forEach((c) => c.close()));
  collectGarbage();
  const before = process.memoryUsage();
  const rssBefore = before.rss;
  let peakRss = rssBefore;

  // Gates 0-9 complete, 10-14 fail, 15-19 never finish.
  const gate = (i: number) => `g-${i % gates}`;
  const fate = (i: number) => (i % gates < 10 ? "started" : i % gates < 15 ? "failed" : "open");
  for (let g = 0; g < gates; g++) for await (const _ of h.client.start({ unit: `g-${g}` }));

  // A Watch from the start: snapshot, then every event.
  const watchClient = separateClient(h.socketPath);
  t.teardown(() => watchClient.close());
  const seqs: number[] = [];
  let snapshotSeq = -1;
  const watchEnded = (async () => {
    for await (const { message } of watchClient.watch({})) {
      if (message.case === "snapshot") snapshotSeq = Number(message.value.lastSeq);
      else if (message.case === "event") seqs.push(Number(message.value.seq));
    }
    return "ok";
  })().catch((error: ServiceError) => `error ${error.code}`);
  await until(() => snapshotSeq >= 0, "the watch snapshot");

  const units = Array.from({ length: n }, (_, i) => `w-${i}`);
  for (const [i, unit] of units.entries()) h.agent.registry.want(unit, [gate(i)]);
  const waits = [];
  for (const [i, unit] of units.entries()) {
    await paced(i);
    waits.push(openWait(pool[i % pool.length]!, unit));
  }
  await until(() => h.agent.registry.counts().waiters === n, `${n} waiters`, 30_000);

  // The burst: reads, declarations and pings, with the gates decided at random points inside it.
  const decisions = new Map<number, number>();
  for (let g = 0; g < 15; g++) decisions.set(Math.floor(((g + 1) * rpcs) / 16), g);
  let sent = 0;
  const refusals: string[] = [];
  for (let i = 0; i < rpcs; i += 500) {
    const batch = [];
    for (let j = i; j < Math.min(i + 500, rpcs); j++) {
      const client = pool[j % pool.length]!;
      const g = decisions.get(j);
      const call =
        g !== undefined
          ? g < 10
            ? client.complete({ unit: `g-${g}` })
            : client.fail({ unit: `g-${g}`, reason: "drill" })
          : j % 4 === 0
            ? client.want({ unit: `b-${j % 3_000}`, dependsOn: [`b-base-${j % 7}`] })
            : j % 4 === 1
              ? client.getUnit({ unit: units[j % n]! })
              : j % 4 === 2
                ? client.ping({})
                : client.getUnit({ unit: `g-${j % gates}` });
      batch.push(call.then(() => sent++, (error: ServiceError) => refusals.push(`${error.code} ${error.details}`)));
    }
    await Promise.all(batch);
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  t.deepEqual(refusals, [], "every RPC of the burst succeeded");
  const lastSeqBeforeShutdown = h.agent.registry.lastSeq;
  await h.agent.close();
  const ends = await Promise.all(waits.map((w) => w.done));
  t.is(await watchEnded, "ok", "the watch ended cleanly at shutdown");

  let resolved = 0;
  for (const [i, end] of ends.entries()) {
    const unit = units[i]!;
    t.is(end.ends, 1, `${unit} ended once`);
    resolved += end.ends;
    if (fate(i) === "started") {
      t.true(end.started && end.code === Code.OK, `${unit} started: ${end.code} ${end.details}`);
    } else if (fate(i) === "failed") {
      t.is(end.code, Code.FAILED_PRECONDITION, unit);
      t.is(end.details, `dependency "${gate(i)}" failed: drill`);
    } else {
      t.is(end.code, Code.UNAVAILABLE, unit);
    }
  }
  // The agent's own record agrees: each wait ended exactly once.
  const endings = new Map<string, number>();
  for (const e of h.agent.registry.events()) {
    if (e.unit.startsWith("w-") && ((e.kind === "status-changed" && e.to === "started") || e.kind === "wait-ended")) {
      endings.set(e.unit, (endings.get(e.unit) ?? 0) + 1);
    }
  }
  t.true(units.every((u) => endings.get(u) === 1), "one ending event per wait in the log");

  // Watch: every seq after the snapshot, in order, none missing or repeated, up to the shutdown.
  t.true(seqs.length > 0);
  t.true(seqs.every((seq, i) => seq === snapshotSeq + 1 + i), "contiguous seqs");
  t.true(seqs.at(-1)! >= lastSeqBeforeShutdown, "the watch saw every event before the shutdown");
  figure(t, "fault-burst", {
    waiters: n,
    rpcs,
    waiters_resolved: resolved,
    outcomes: { started: ends.filter((e) => e.started).length, dependency_failed: ends.filter((e) => e.code === Code.FAILED_PRECONDITION).length, unavailable: ends.filter((e) => e.code === Code.UNAVAILABLE).length },
    watch_events: seqs.length,
    rss_before_mib: mib(rssBefore),
    rss_peak_mib: mib(peakRss),
  });
});
