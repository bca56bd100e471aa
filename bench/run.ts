// The benchmark suite: every figure measured in one run on this machine, printed as a table and
// written to bench/results.json. Figures, never pass/fail.
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { type UnitSyncClient, connect } from "../src/client/client.js";
import { startAgent } from "../src/agent/server.js";
import { Registry } from "../src/core/registry.js";
import { cliVsFloor } from "./floor.js";
import { planBench } from "./plan.js";
import { lockHandoff } from "./locks.js";
import { servicesBench } from "./services.js";
import { agentSpanMs, cpuMs, startedSent } from "./fanout.js";
import { resilienceBench } from "./resilience.js";
import { percentile } from "./stats.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin/unitsync.cjs");
// BENCH_AGENT_BIN=…/bin/unitsync.cjs times another build's agent with this bench (before/after).
const AGENT_BIN = process.env.BENCH_AGENT_BIN ?? BIN;
const QUICK = process.env.BENCH_QUICK === "1";
const work = mkdtempSync(join(tmpdir(), "usb-"));
// Every Node 20 process on these machines pays ~50 ms for NODE_EXTRA_CA_CERTS; figures are without it.
delete process.env.NODE_EXTRA_CA_CERTS;
// The bench's own code cache (see src/launcher.ts): each run starts with none, as a fresh installation does.
const CODE_CACHE = join(work, "code-cache");
const env: NodeJS.ProcessEnv = { ...process.env, UNITSYNC_CACHE_DIR: CODE_CACHE };

const results: Record<string, number | string> = {};
const record = (key: string, value: number, digits = 2) => {
  results[key] = Number(value.toFixed(digits));
  process.stderr.write(`  ${key.padEnd(22)} ${results[key]}\n`);
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (values: number[]) => percentile(values, 50);

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match![1]) / 1024;
}

/** Starts `unitsync agent` as its own process; resolves once Ping answers. */
async function agentProcess(socket: string, flags: string[] = []): Promise<{ child: ChildProcess; client: UnitSyncClient; startMs: number }> {
  const t0 = performance.now();
  // BENCH_PROFILE=DIR writes a CPU profile of every agent process there (where the time goes).
  const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  if (process.env.BENCH_AGENT_NODE_FLAGS) profile.push(...process.env.BENCH_AGENT_NODE_FLAGS.split(" "));
  const child = spawn(process.execPath, [...profile, AGENT_BIN, "agent", "--socket", socket, ...flags], { env, stdio: "ignore" });
  for (;;) {
    const client = connect(socket);
    try {
      await client.ping({}, { deadline: new Date(Date.now() + 1_000) });
      return { child, client, startMs: performance.now() - t0 };
    } catch {
      client.close();
      await sleep(2);
    }
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

/** Complete RPC sent → the waiter's `started` message received, one pair at a time. */
async function wake(): Promise<void> {
  const socketPath = join(work, "wake.sock");
  const agent = await startAgent({ socketPath, version: "bench" });
  const waiterClient = connect(socketPath);
  const completer = connect(socketPath);
  const latencies: number[] = [];
  const iterations = QUICK ? 200 : 1_000;
  for (let i = 0; i < iterations; i++) {
    await completer.want({ unit: `w${i}`, dependsOn: [`d${i}`] });
    await completer.want({ unit: `d${i}`, dependsOn: [`root`] }).catch(() => {});
    const stream = waiterClient.start({ unit: `w${i}` })[Symbol.asyncIterator]();
    await stream.next(); // waiting
    const t0 = performance.now();
    await completer.complete({ unit: `d${i}` });
    for (let m = await stream.next(); !m.done; m = await stream.next()) {
      if (m.value.event.case === "started") latencies.push(performance.now() - t0);
    }
  }
  record("wake_p50_ms", percentile(latencies, 50), 3);
  record("wake_p99_ms", percentile(latencies, 99), 3);
  waiterClient.close();
  completer.close();
  await agent.close();
}

/** One `unitsync ping` process against bare `node -e 0` and a raw node:http2 Ping, interleaved. */
async function cli(): Promise<void> {
  const socket = join(work, "cli.sock");
  const { child, client } = await agentProcess(socket);
  // The single executable is timed too when `make sea` built it from the current bundle.
  const sea = join(ROOT, "dist/sea/unitsync");
  const fresh = existsSync(sea) && statSync(sea).mtimeMs >= statSync(join(ROOT, "dist/unitsync.cjs")).mtimeMs;
  const figures = cliVsFloor({ bin: BIN, socket, env, work, rounds: QUICK ? 10 : 40, ...(fresh ? { sea } : {}) });
  for (const [key, value] of Object.entries(figures)) record(key, value, key.includes("ratio") || key.includes("vs") ? 2 : 1);
  client.close();
  await stop(child);
}

/**
 * N scripts launched at once, each waiting for the previous one: the time until all have
 * finished. "poll" replaces the pushed wait with a 1-second status poll, as coder exp sync does;
 * "run" does each script's want/start/complete in one `unitsync run`.
 */
async function chain(n: number, style: "coder" | "poll" | "run"): Promise<number> {
  const dir = mkdtempSync(join(work, "chain-"));
  const socket = join(dir, "a.sock");
  const { child, client } = await agentProcess(socket);
  const shim = join(dir, "unitsync");
  writeFileSync(shim, `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`);
  chmodSync(shim, 0o755);
  const scripts = Array.from({ length: n }, (_, i) => {
    const path = join(dir, `s${i}.sh`);
    const after = i === 0 ? "" : ` --after u${i - 1}`;
    const wait =
      i === 0
        ? "unitsync start u0"
        : style === "poll"
          ? `unitsync want u${i} u${i - 1}\nuntil unitsync status u${i - 1} -o json | grep -q '"status": "completed"'; do sleep 1; done\nunitsync start u${i}`
          : `unitsync want u${i} u${i - 1}\nunitsync start u${i}`;
    const body =
      style === "run"
        ? `unitsync run u${i}${after} -- true 2>/dev/null`
        : `${wait} >/dev/null\nunitsync complete u${i} >/dev/null`;
    writeFileSync(path, `#!/bin/sh\nset -e\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  });
  const t0 = performance.now();
  await Promise.all(
    scripts.map(
      (script) =>
        new Promise<void>((resolve, reject) =>
          spawn(script, [], { env: { ...env, PATH: `${dir}:${env.PATH}`, UNITSYNC_SOCKET: socket }, stdio: "ignore" }).once("exit", (code) =>
            code === 0 ? resolve() : reject(new Error(`${script} exited ${code}`)),
          ),
        ),
    ),
  );
  const seconds = (performance.now() - t0) / 1_000;
  client.close();
  await stop(child);
  return seconds;
}

/** 10,000 units and 50,000 edges declared over RPC, edges in random order. */
async function declare(): Promise<void> {
  const units = QUICK ? 2_000 : 10_000;
  const perUnit = 5;
  const socketPath = join(work, "declare.sock");
  const agent = await startAgent({ socketPath, version: "bench" });
  const client = connect(socketPath);
  // A random hidden order: unit i depends on units that come earlier in it, declared shuffled.
  const order = shuffle(Array.from({ length: units }, (_, i) => i));
  const wants = shuffle(
    order.map((unit, position) => ({
      unit: `u${unit}`,
      dependsOn: Array.from({ length: Math.min(perUnit, position) }, () => `u${order[Math.floor(Math.random() * position)]}`),
    })),
  ).filter((w) => w.dependsOn.length > 0);
  const t0 = performance.now();
  const inFlight = 64;
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < wants.length) await client.want(wants[next++]!);
    }),
  );
  record("declare_s", (performance.now() - t0) / 1_000, 3);
  record("declare_edges", agent.registry.counts().edges, 0);
  client.close();
  await agent.close();
}

/** Cost per added edge in the core as the graph grows, edges in random order. */
function edgeCost(): void {
  const registry = new Registry({ limits: { units: 1_000_000, events: 1_000 } });
  const nodes = 20_000;
  const order = shuffle(Array.from({ length: nodes }, (_, i) => i));
  const position = new Map(order.map((n, i) => [n, i]));
  const edges: [string, string][] = [];
  while (edges.length < 51_000) {
    const a = Math.floor(Math.random() * nodes);
    const b = Math.floor(Math.random() * nodes);
    if (a === b) continue;
    const [later, earlier] = position.get(a)! > position.get(b)! ? [a, b] : [b, a];
    edges.push([`n${later}`, `n${earlier}`]);
  }
  const checkpoints = new Map([
    [1_000, "edge_us_at_1k"],
    [10_000, "edge_us_at_10k"],
    [50_000, "edge_us_at_50k"],
  ]);
  const sample = 1_000;
  for (let i = 0; i < edges.length; i++) {
    const key = checkpoints.get(i);
    if (key) {
      const t0 = performance.now();
      for (let j = i; j < i + sample; j++) registry.want(edges[j]![0], [edges[j]![1]]);
      record(key, ((performance.now() - t0) * 1_000) / sample, 2);
      i += sample - 1;
    } else {
      registry.want(edges[i]![0], [edges[i]![1]]);
    }
  }
}

/** A 10,000-unit chain declared from its top unit down: the order a topological sort hates. */
function topDownChain(): void {
  const registry = new Registry({ limits: { units: 1_000_000, events: 1_000 } });
  const length = 10_000;
  const t0 = performance.now();
  for (let i = length; i > 0; i--) registry.want(`t${i}`, [`t${i - 1}`]);
  record("edge_us_topdown_10k", ((performance.now() - t0) * 1_000) / length, 2);
}

/** Agent RSS with 10,000 open Start waits, and the time until all wake after one Complete. */
async function waiters(): Promise<void> {
  const count = QUICK ? 2_000 : 10_000;
  const socket = join(work, "waiters.sock");
  // 10,000 waiting units plus their gate exceed the default unit limit of 10,000.
  const { child, client } = await agentProcess(socket, ["--max-units", "20000"]);
  const channels = Array.from({ length: 10 }, () => connect(socket));
  await client.want({ unit: "gate-holder", dependsOn: ["gate"] });
  let waiting = 0;
  let started = 0;
  let allStarted!: () => void;
  const done = new Promise<void>((resolve) => (allStarted = resolve));
  for (let i = 0; i < count; i++) await channels[i % 10]!.want({ unit: `w${i}`, dependsOn: ["gate"] });
  for (let i = 0; i < count; i++) {
    // Opening thousands of streams in one tick stalls grpc-js; let the loop turn every 100.
    if (i % 100 === 0) await sleep(5);
    void (async () => {
      for await (const { event } of channels[i % 10]!.start({ unit: `w${i}` })) {
        if (event.case === "waiting") waiting++;
        if (event.case === "started" && ++started === count) allStarted();
      }
    })();
  }
  while (waiting < count) await sleep(20);
  record("waiters_10k_rss_mb", rssMb(child.pid!), 1);
  await client.want({ unit: "gate", dependsOn: ["gate-root"] }).catch(() => {});
  const sent0 = await startedSent(client);
  const cpu0 = cpuMs(child.pid!);
  const clientCpu0 = process.cpuUsage();
  const t0 = performance.now();
  await client.complete({ unit: "gate" });
  await done;
  record("waiters_10k_wake_ms", performance.now() - t0, 1);
  // The bench client's share of the same cores: the CPU time this process spent reading the streams.
  const clientCpu = process.cpuUsage(clientCpu0);
  record("waiters_10k_client_cpu_ms", (clientCpu.user + clientCpu.system) / 1_000, 0);
  // The agent's part alone: its CPU time over the fan-out, and the Complete → its last `started` written.
  record("waiters_10k_agent_cpu_ms", cpuMs(child.pid!) - cpu0, 0);
  record("waiters_10k_agent_span_ms", await agentSpanMs(client, "gate", sent0, count), 1);
  for (const c of channels) c.close();
  client.close();
  await stop(child);
}

async function agentStartup(): Promise<void> {
  const times: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < (QUICK ? 3 : 10); i++) {
    const { child, client, startMs } = await agentProcess(join(work, `start${i}.sock`));
    times.push(startMs);
    await sleep(200);
    rss.push(rssMb(child.pid!));
    client.close();
    await stop(child);
  }
  record("agent_start_ms", median(times), 1);
  record("agent_idle_rss_mb", median(rss), 1);
}

function shuffle<T>(values: T[]): T[] {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [values[i], values[j]] = [values[j]!, values[i]!];
  }
  return values;
}

const TARGETS: Record<string, [string, number]> = {
  wake_p50_ms: ["<=", 1],
  wake_p99_ms: ["<=", 5],
  cli_ratio: ["<=", 2],
  chain_vs_poll: ["<=", 0.15],
  chain10_s: ["<=", 1.5],
  declare_s: ["<=", 5],
  waiters_10k_rss_mb: ["<=", 300],
  waiters_10k_wake_ms: ["<=", 500],
  agent_start_ms: ["<=", 150],
  agent_idle_rss_mb: ["<=", 60],
};

async function main(): Promise<void> {
  process.stderr.write(`unitsync bench (NODE_EXTRA_CA_CERTS unset; ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}${QUICK ? ", quick" : ""})\n`);
  // `node dist/bench/run.js waiters cli` runs only those sections (and writes no results file).
  const only = new Set(process.argv.slice(2));
  const sections: [string, () => Promise<void> | void][] = [
    ["wake", wake],
    ["cli", cli],
    ["chain", async () => {
      // The scripts use coder's verbs (want, start, complete); run_chain10_s uses one `run` each.
      // A fresh installation's first start-up: every process compiles and writes its verb's code cache.
      rmSync(CODE_CACHE, { recursive: true, force: true });
      record("chain10_first_s", await chain(10, "coder"), 3);
      // Every later start-up (a machine's second boot, an image that ran unitsync once): the caches exist.
      record("chain10_s", await chain(10, "coder"), 3);
      record("chain50_s", await chain(50, "coder"), 3);
      for (const [key, value] of Object.entries(await planBench(work))) record(key, value, 3);
      record("poll_chain10_s", await chain(10, "poll"), 3);
      await chain(2, "run"); // writes the `run` verb's cache, as the first chain did for want, start and complete
      record("run_chain10_s", await chain(10, "run"), 3);
      record("chain_vs_poll", (results.chain10_s as number) / (results.poll_chain10_s as number), 3);
    }],
    ["declare", declare],
    ["resilience", async () => {
      for (const [key, value] of Object.entries(await resilienceBench(QUICK))) record(key, value, 3);
    }],
    ["edges", () => {
      edgeCost();
      topDownChain();
    }],
    ["waiters", waiters],
    ["agent", agentStartup],
    ["locks", async () => Object.entries(await lockHandoff(QUICK)).forEach(([key, value]) => record(key, value, 3))],
    ["services", async () => {
      for (const [key, value] of Object.entries(await servicesBench(QUICK))) record(key, value, 1);
    }],
  ];
  for (const [name, run] of sections) if (only.size === 0 || only.has(name)) await run();
  if (only.size > 0) return;
  results.edge_ratio_50k_to_1k = Number(((results.edge_us_at_50k as number) / (results.edge_us_at_1k as number)).toFixed(2));
  results.machine = `${cpus()[0]?.model ?? "unknown cpu"}, ${cpus().length} cores, node ${process.version}`;
  results.node_extra_ca_certs = "unset";
  const out = join(ROOT, "bench/results.json");
  writeFileSync(out, JSON.stringify(results, null, 2) + "\n");
  const rows = Object.entries(results).map(([key, value]) => {
    const target = TARGETS[key];
    const verdict = target && typeof value === "number" ? (value <= target[1] ? `met (${target[0]} ${target[1]})` : `MISSED (${target[0]} ${target[1]})`) : "";
    return `${key.padEnd(22)} ${String(value).padEnd(12)} ${verdict}`;
  });
  process.stdout.write(`\n${"figure".padEnd(22)} ${"value".padEnd(12)} target\n${rows.join("\n")}\n\nwritten to ${out}\n`);
  rmSync(work, { recursive: true, force: true });
}

await main();
