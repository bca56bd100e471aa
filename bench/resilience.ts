// Resilience figures: the cost of one journal append, replaying a 10,000-unit journal into a new
// agent (in process: open, replay, serve), and wake latency and declaration time with the
// journal on and off, measured in the same run; and a kill -9 of a real agent process until a
// restarted one answers for the last unit of the replayed graph.
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { connect } from "../src/client/client.js";
import { startAgent } from "../src/agent/server.js";
import { Registry } from "../src/core/registry.js";
import { Journal, ReplayClock } from "../src/agent/journal.js";
import { percentile } from "./stats.js";

const identity = { bootId: "bench", pid1Start: "1" };
const BIN = fileURLToPath(new URL("../../bin/unitsync.cjs", import.meta.url));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the status of `unit` once an agent on the socket answers GetUnit for it. */
async function unitAnswers(socketPath: string, unit: string, child: ChildProcess): Promise<number> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the agent exited with status ${child.exitCode}`);
    const client = connect(socketPath, { separate: true });
    try {
      const status = (await client.getUnit({ unit }, { deadline: new Date(Date.now() + 5_000) })).unit?.status ?? 0;
      if (status > 1) return status; // registered: the replayed graph is there
    } catch {
      // not serving yet
    } finally {
      client.close();
    }
    await sleep(2);
  }
}

/**
 * kill -9 of a real `unitsync agent` holding `units` units (declared over the socket, journalled),
 * then a new one on the same socket and journal: ms until it answers GetUnit of the last unit.
 */
async function agentRestartMs(dir: string, units: number): Promise<number> {
  const socketPath = join(dir, "restart.sock");
  const agent = (): ChildProcess => spawn(process.execPath, [BIN, "agent", "--socket", socketPath], { stdio: "ignore" });
  const first = agent();
  try {
    for (;;) {
      if (first.exitCode !== null) throw new Error(`the agent exited with status ${first.exitCode}`);
      const probe = connect(socketPath, { separate: true });
      const up = await probe.ping({}, { deadline: new Date(Date.now() + 5_000) }).then(() => true, () => false);
      probe.close();
      if (up) break;
      await sleep(20);
    }
    const client = connect(socketPath);
    let next = 1;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < units) {
          const i = next++;
          await client.want({ unit: `u${i}`, dependsOn: [`u${Math.floor((i - 1) / 2)}`] }); // u0 … u(units-1): `units` units
        }
      }),
    );
    client.close();
  } catch (error) {
    first.kill("SIGKILL");
    throw error;
  }
  const exited = new Promise((resolve) => first.once("exit", resolve));
  const t0 = performance.now();
  first.kill("SIGKILL");
  await exited;
  const second = agent();
  try {
    await unitAnswers(socketPath, `u${units - 1}`, second);
    return performance.now() - t0;
  } finally {
    const stopped = new Promise((resolve) => second.once("exit", resolve));
    second.kill("SIGTERM");
    await stopped;
  }
}

async function wakeP50(dir: string, journal: boolean, iterations: number): Promise<number> {
  const socketPath = join(dir, `wake-${journal}.sock`);
  const agent = await startAgent({ socketPath, version: "bench", ...(journal ? { journal: `${socketPath}.journal`, journalIdentity: identity } : {}) });
  const waiter = connect(socketPath);
  const completer = connect(socketPath);
  const latencies: number[] = [];
  for (let i = 0; i < iterations; i++) {
    await completer.want({ unit: `w${i}`, dependsOn: [`d${i}`] });
    for await (const _ of completer.start({ unit: `d${i}` })) void _;
    const stream = waiter.start({ unit: `w${i}` })[Symbol.asyncIterator]();
    await stream.next(); // waiting
    const t0 = performance.now();
    await completer.complete({ unit: `d${i}` });
    for (let m = await stream.next(); !m.done; m = await stream.next()) if (m.value.event.case === "started") latencies.push(performance.now() - t0);
  }
  waiter.close();
  completer.close();
  await agent.close();
  return percentile(latencies, 50);
}

async function declareSeconds(dir: string, journal: boolean, units: number): Promise<{ seconds: number; journalPath: string }> {
  const socketPath = join(dir, `declare-${journal}.sock`);
  const journalPath = `${socketPath}.journal`;
  const agent = await startAgent({ socketPath, version: "bench", ...(journal ? { journal: journalPath, journalIdentity: identity } : {}) });
  const client = connect(socketPath);
  const wants = Array.from({ length: units - 1 }, (_, i) => ({ unit: `u${i + 1}`, dependsOn: Array.from({ length: Math.min(5, i + 1) }, (_, k) => `u${Math.floor(((i + 1) * (k + 1)) / 7) % (i + 1)}`) }));
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next < wants.length) await client.want(wants[next++]!);
  }));
  const seconds = (performance.now() - t0) / 1_000;
  if (journal) copyFileSync(journalPath, `${journalPath}.kept`); // what a crash would leave
  client.close();
  await agent.close();
  return { seconds, journalPath: `${journalPath}.kept` };
}

export async function resilienceBench(quick: boolean): Promise<Record<string, number>> {
  const dir = mkdtempSync("/tmp/us-bench-");
  try {
    // One append: a want record of one unit with five dependencies, written to the file.
    const registry = new Registry();
    const journal = Journal.open({ path: join(dir, "append.journal"), identity, log: () => {} }, { registry, startedBy: new Map() }, new ReplayClock());
    const appends = quick ? 5_000 : 50_000;
    const t0 = performance.now();
    for (let i = 0; i < appends; i++) journal.append({ k: "want", u: `unit-${i}`, d: ["a", "b", "c", "d", "e"], c: "completed", o: "bench.sh" });
    const appendUs = ((performance.now() - t0) * 1_000) / appends;
    journal.close(true);

    const iterations = quick ? 100 : 500;
    const units = quick ? 2_000 : 10_000;
    const wakeOff = await wakeP50(dir, false, iterations);
    const wakeOn = await wakeP50(dir, true, iterations);
    const declareOff = await declareSeconds(dir, false, units);
    const declareOn = await declareSeconds(dir, true, units);

    // A new agent on the journal of `units` units: from the call to serving the replayed graph.
    const r0 = performance.now();
    const replayed = await startAgent({ socketPath: join(dir, "replay.sock"), version: "bench", journal: declareOn.journalPath, journalIdentity: identity });
    const client = connect(replayed.socketPath);
    const { units: served } = await client.listUnits({});
    const replayMs = performance.now() - r0;
    if (served.length !== units - 1) throw new Error(`replayed ${served.length} of ${units - 1} units`);
    client.close();
    await replayed.close();
    const restartMs = await agentRestartMs(dir, units);
    return {
      agent_restart_ms: restartMs,
      agent_restart_units: units,
      journal_append_us: appendUs,
      agent_replay_ms: replayMs,
      wake_p50_ms_journal: wakeOn,
      wake_p50_ms_no_journal: wakeOff,
      declare_s_journal: declareOn.seconds,
      declare_s_no_journal: declareOff.seconds,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
