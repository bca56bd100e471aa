// Crash drill: 20 start-up scripts (want/start/complete, as Coder's docs write them) run while the
// agent is killed with SIGKILL at a seeded random moment and restarted on the same socket and
// journal at once. Every round: every script exits 0, every unit completes in its first attempt,
// no unit starts before what it depends on, and the new agent replays exactly what the old one
// had journalled. `make drills` runs 20 rounds; `make test` a few.
import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { decodeRecords } from "../src/agent/journal-file.js";
import { connect } from "../src/client/client.js";
import { tempDir } from "./helpers/agent.js";
import { stopProcess } from "./helpers/agent-process.js";
import { BIN, type CliResult, type Spawned, spawnCli } from "./helpers/cli.js";
import { figure, scale, until } from "./helpers/drill.js";
import { random } from "./helpers/h2.js";

const SEED = Number(process.env.UNITSYNC_FUZZ_SEED ?? Date.now() % 1_000_000);
const SCRIPTS = 20;

/** Each script's unit depends on up to three earlier ones (seeded). */
function startUp(rng: ReturnType<typeof random>): string[][] {
  return Array.from({ length: SCRIPTS }, (_, i) => {
    const deps = new Set<string>();
    for (let k = 0; k < Math.min(i, 1 + rng.int(3)); k++) deps.add(`unit-${rng.int(i)}`);
    return [...deps];
  });
}

function script(unit: string, deps: string[], log: string, sleep: number): string {
  return [
    "#!/bin/sh",
    "set -eu",
    deps.length > 0 ? `unitsync want ${unit} ${deps.join(" ")}` : "",
    `unitsync start ${unit}`,
    `echo "S ${unit} $(date +%s%N)" >> ${log}`,
    `sleep ${sleep}`,
    `echo "B ${unit} $(date +%s%N)" >> ${log}`,
    `unitsync complete ${unit}`,
    "",
  ].join("\n");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A start-up script as the leader of its own process group, so the drill can end it with every
 * `unitsync` and `sleep` it started: killing only the shell would leave them holding its pipes.
 */
function spawnScript(path: string, env: Record<string, string>): Spawned {
  const child = spawn(path, [], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve({ code: code ?? (signal === "SIGKILL" ? 137 : 128), stdout, stderr }));
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

function killGroup(spawned: Spawned): void {
  try {
    process.kill(-spawned.child.pid!, "SIGKILL");
  } catch {
    // already gone
  }
}

/**
 * Resolves once an agent answers Ping on the socket, asking on a fresh connection each time (a
 * kept channel would back off between tries and measure its own backoff); rejects when `agent`
 * exits first. Bounded at 45 s, a bound for a hang only.
 */
async function serving(socketPath: string, agent: Spawned): Promise<void> {
  const limit = Date.now() + 45_000;
  for (;;) {
    if (agent.child.exitCode !== null || agent.child.signalCode !== null) throw new Error(`the agent exited at start-up: ${agent.stderr()}`);
    const client = connect(socketPath, { separate: true });
    try {
      await client.ping({}, { deadline: new Date(Date.now() + 1_000) });
      return;
    } catch {
      if (Date.now() > limit) throw new Error(`the agent on ${socketPath} did not answer: ${agent.stderr()}`);
    } finally {
      client.close();
    }
    await sleep(5);
  }
}

async function agentAt(socketPath: string): Promise<Spawned> {
  const agent = spawnCli(["agent", "--socket", socketPath]);
  await serving(socketPath, agent);
  return agent;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

test.serial("crash drill: kill -9 of the agent during the start-up of 20 scripts, restarted at once", async (t) => {
  const rounds = scale("UNITSYNC_CRASH_ROUNDS", 1, 20);
  // A bound for a hang only: a round that stops making progress is reported (below) long before.
  t.timeout(rounds * 600_000);
  const rng = random(SEED);
  t.log(`seed ${SEED}`);
  const restartMs: number[] = [];
  const roundMs: number[] = [];
  const killedAt: number[] = [];
  const replayedPerRound: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const roundStart = Date.now();
    const dir = tempDir(t);
    const socketPath = join(dir, "agent.sock");
    const bin = join(dir, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "unitsync"), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`);
    chmodSync(join(bin, "unitsync"), 0o755);
    const log = join(dir, "order.log");
    writeFileSync(log, "");
    const graph = startUp(rng);
    const paths = graph.map((deps, i) => {
      const path = join(dir, `s${i}.sh`);
      writeFileSync(path, script(`unit-${i}`, deps, log, rng.int(4) / 10), { mode: 0o755 });
      return path;
    });
    let agent = await agentAt(socketPath);
    const env = { PATH: `${bin}:${process.env.PATH}`, UNITSYNC_SOCKET: socketPath };
    const scripts = paths.map((path) => spawnScript(path, env));
    t.teardown(() => scripts.forEach(killGroup));
    const journalPath = `${socketPath}.journal`;
    const journalled = () => decodeRecords(readFileSync(journalPath)).records.length - 1;
    // A hang is a round that stops making progress (no journal record, no line of the order
    // log, no script ending) for this long: it is reported with what every script and the agent
    // said, and the scripts are ended, so the round fails instead of hanging.
    const stallMs = Number(process.env.UNITSYNC_CRASH_STALL_MS ?? 120_000);
    let progress = "";
    let progressAt = Date.now();
    let stalled = false;
    const watchdog = setInterval(() => {
      let now = "";
      try {
        now = `${statSync(journalPath).size} ${statSync(log).size} ${scripts.filter((s) => s.child.exitCode !== null || s.child.signalCode !== null).length}`;
      } catch {
        now = progress; // the journal is being replaced
      }
      if (now !== progress) {
        progress = now;
        progressAt = Date.now();
        return;
      }
      if (Date.now() - progressAt < stallMs || stalled) return;
      stalled = true;
      for (const [i, s] of scripts.entries()) {
        t.log(`round ${round}: script ${i} ${s.child.exitCode === null ? "still running" : `exited ${s.child.exitCode}`}: ${s.stderr()} ${s.stdout()}`);
      }
      t.log(`round ${round}: agent: ${agent.stderr()}`);
      scripts.forEach(killGroup);
    }, 1_000);
    t.teardown(() => clearInterval(watchdog));
    // The kill comes at a random moment of the start-up: once the journal holds a seeded random
    // number of its about 60 records (want, start, complete of each script).
    const killAfter = 1 + rng.int(50);
    await until(() => journalled() >= killAfter || scripts.every((s) => s.child.exitCode !== null), `${killAfter} journal records`, 600_000);
    // Stop the agent first, so the journal on disk is exactly the state it dies with.
    agent.child.kill("SIGSTOP");
    const journal = journalled();
    agent.child.kill("SIGKILL");
    await agent.done;
    const killed = Date.now();
    agent = await agentAt(socketPath);
    restartMs.push(Date.now() - killed);
    killedAt.push(journal);
    const results = await Promise.all(scripts.map((s) => s.done));
    clearInterval(watchdog);
    t.false(stalled, `round ${round}: the start-up stopped making progress (see the log above)`);
    const client = connect(socketPath, { separate: true });
    try {
      const counts = (await client.ping({})).counts!;
      t.is(Number(counts.replayedRecords), journal, `round ${round}: the new agent replayed what the old one journalled`);
      replayedPerRound.push(Number(counts.replayedRecords));
      results.forEach((r, i) => t.is(r.code, 0, `round ${round}: script ${i}: ${r.stderr}`));
      const { units } = await client.listUnits({});
      t.is(units.length, SCRIPTS);
      for (const unit of units) {
        t.is(unit.status, 4, `round ${round}: ${unit.name} completed`);
        t.is(unit.attempt, 1, `round ${round}: ${unit.name} started once`);
      }
      // No wait ended twice, and no unit started before the units it depends on were about to complete.
      const times = new Map<string, bigint>();
      for (const line of readFileSync(log, "utf8").trim().split("\n")) {
        const [kind, unit, ns] = line.split(" ");
        const key = `${kind} ${unit}`;
        t.false(times.has(key), `round ${round}: ${key} happened once`);
        times.set(key, BigInt(ns!));
      }
      graph.forEach((deps, i) => {
        for (const dep of deps) t.true(times.get(`S unit-${i}`)! > times.get(`B ${dep}`)!, `round ${round}: unit-${i} started after ${dep}`);
      });
    } finally {
      client.close();
      await stopProcess(agent);
    }
    roundMs.push(Date.now() - roundStart);
    t.log(`round ${round}: killed at ${journal} records, ${replayedPerRound.at(-1)} replayed, restart ${restartMs.at(-1)} ms, round ${roundMs.at(-1)} ms`);
  }
  figure(t, "crash", {
    seed: SEED,
    rounds,
    scripts: SCRIPTS,
    killed_at_records: killedAt,
    replayed_records: replayedPerRound,
    restart_ms_median: median(restartMs),
    restart_ms_max: Math.max(...restartMs),
    round_ms_median: median(roundMs),
    round_ms_max: Math.max(...roundMs),
  });
});
