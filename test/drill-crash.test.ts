// Crash drill: 20 start-up scripts (want/start/complete, as Coder's docs write them) run while the
// agent is killed with SIGKILL at a seeded random moment and restarted on the same socket and
// journal at once. Every round: every script exits 0, every unit completes in its first attempt,
// no unit starts before what it depends on, and the new agent replays exactly what the old one
// had journalled. `make drills` runs 20 rounds; `make test` a few.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { decodeRecords } from "../src/agent/journal-file.js";
import { connect } from "../src/client/client.js";
import { tempDir } from "./helpers/agent.js";
import { stopProcess } from "./helpers/agent-process.js";
import { BIN, type Spawned, spawnCli, spawnProcess } from "./helpers/cli.js";
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

async function agentAt(socketPath: string): Promise<Spawned> {
  const agent = spawnCli(["agent", "--socket", socketPath]);
  const client = connect(socketPath);
  try {
    await until(async () => agent.child.exitCode !== null || (await client.ping({}, { deadline: new Date(Date.now() + 1_000) }), true), "the agent", 45_000);
  } finally {
    client.close();
  }
  return agent;
}

test.serial("crash drill: kill -9 of the agent during the start-up of 20 scripts, restarted at once", async (t) => {
  const rounds = scale("UNITSYNC_CRASH_ROUNDS", 1, 20);
  t.timeout(rounds * 120_000);
  const rng = random(SEED);
  t.log(`seed ${SEED}`);
  const restartMs: number[] = [];
  let replayed = 0;
  for (let round = 0; round < rounds; round++) {
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
    const scripts = paths.map((path) => spawnProcess(path, [], env));
    // The kill comes at a random moment of the start-up: once the journal holds a seeded random
    // number of its about 60 records (want, start, complete of each script).
    const killAfter = 1 + rng.int(50);
    const journalled = () => decodeRecords(readFileSync(`${socketPath}.journal`)).records.length - 1;
    await until(() => journalled() >= killAfter || scripts.every((s) => s.child.exitCode !== null), `${killAfter} journal records`, 120_000);
    // Stop the agent first, so the journal on disk is exactly the state it dies with.
    agent.child.kill("SIGSTOP");
    const journal = journalled();
    agent.child.kill("SIGKILL");
    await agent.done;
    const killedAt = Date.now();
    agent = await agentAt(socketPath);
    restartMs.push(Date.now() - killedAt);
    t.teardown(() => scripts.forEach((s) => s.child.exitCode === null && s.child.kill("SIGKILL")));
    const hung = setTimeout(() => {
      for (const [i, s] of scripts.entries()) {
        t.log(`round ${round}: script ${i} ${s.child.exitCode === null ? "still running" : `exited ${s.child.exitCode}`}: ${s.stderr()} ${s.stdout()}`);
      }
      t.log(`round ${round}: agent: ${agent.stderr()}`);
      for (const s of scripts) s.child.kill("SIGKILL");
    }, Number(process.env.UNITSYNC_CRASH_HANG_MS ?? 90_000));
    const results = await Promise.all(scripts.map((s) => s.done));
    clearTimeout(hung);
    const client = connect(socketPath);
    try {
      const counts = (await client.ping({})).counts!;
      t.is(Number(counts.replayedRecords), journal, `round ${round}: the new agent replayed what the old one journalled`);
      replayed += journal;
      results.forEach((r, i) => t.is(r.code, 0, `round ${round}: script ${i}: ${r.stderr}`));
      const { units } = await client.listUnits({});
      t.is(units.length, SCRIPTS);
      for (const unit of units) {
        t.is(unit.status, 4, `round ${round}: ${unit.name} completed`);
        t.is(unit.attempt, 1, `round ${round}: ${unit.name} started once`);
      }
      // No unit started before the units it depends on were about to complete.
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
  }
  figure(t, "crash", { seed: SEED, rounds, scripts: SCRIPTS, replayed_records: replayed, restart_ms_max: Math.max(...restartMs), restart_ms_median: restartMs.sort((a, b) => a - b)[Math.floor(restartMs.length / 2)] });
});
