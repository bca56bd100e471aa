// Resilience figures: the cost of one journal append, replaying a 10,000-unit journal into a new
// agent (in process: open, replay, serve), and wake latency and declaration time with the
// journal on and off, measured in the same run.
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { connect } from "../src/client/client.js";
import { startAgent } from "../src/agent/server.js";
import { Registry } from "../src/core/registry.js";
import { Journal, ReplayClock } from "../src/agent/journal.js";

const identity = { bootId: "bench", pid1Start: "1" };

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
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
    return {
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
