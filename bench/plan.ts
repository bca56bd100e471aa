// plan_chain50_s: a 50-unit chain of `true` declared in a plan and run by one `unitsync up -f`
// process against a running agent — from spawning `up` to its exit, start-up included.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";

const BIN = fileURLToPath(new URL("../../bin/unitsync.cjs", import.meta.url));

function exited(child: ReturnType<typeof spawn>): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => resolve(code ?? 1));
  });
}

/** Seconds for `up -f` on an n-unit chain of `true`, with the agent already serving. */
async function planChain(work: string, n: number): Promise<number> {
  const dir = mkdtempSync(join(work, "plan-"));
  const socket = join(dir, "a.sock");
  const units = Array.from({ length: n }, (_, i) => `  u${i}: { run: "true"${i === 0 ? "" : `, after: [u${i - 1}]`} }`);
  const plan = join(dir, "unitsync.yaml");
  writeFileSync(plan, `units:\n${units.join("\n")}\n`);
  const env = { ...process.env, NO_COLOR: "1" };
  const agent = spawn(process.execPath, [BIN, "agent", "--socket", socket], { env, stdio: "ignore" });
  try {
    for (let i = 0; i < 200; i++) {
      if (spawnSync(process.execPath, [BIN, "ping", "--socket", socket], { env, stdio: "ignore" }).status === 0) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const t0 = performance.now();
    const up = spawn(process.execPath, [BIN, "up", "-f", plan, "--socket", socket, "--log-dir", join(dir, "logs")], { env, stdio: "ignore" });
    const code = await exited(up);
    const seconds = (performance.now() - t0) / 1_000;
    if (code !== 0) throw new Error(`up -f on the ${n}-unit chain exited ${code}`);
    return seconds;
  } finally {
    agent.kill("SIGTERM");
    await exited(agent).catch(() => 0);
  }
}

/** The plan's figures: the median of three runs of the 50-unit chain. */
export async function planBench(work: string): Promise<Record<string, number>> {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) runs.push(await planChain(work, 50));
  runs.sort((a, b) => a - b);
  return { plan_chain50_s: runs[1]! };
}
