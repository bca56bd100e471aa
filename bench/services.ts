// Services bench: how soon a dependent starts after a service is ready. ready_tcp_ms: from the
// moment the service's port accepts to the dependent's `started` (the tcp check polls: every 25 ms for
// 2 s, then doubling to 1 s); ready_log_ms: from the moment the service writes its line to the dependent's
// `started` (pushed). Each run: a real `node` service under runUnit, a real agent on a Unix
// socket, a real Start stream for the dependent; the service listens or prints after a random
// 0-300 ms, so the poll's phase is sampled, not fixed. p50 (and p90) over the runs.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { freePort } from "../harness/free-port.js";
import { connect } from "../src/client/client.js";
import { startAgent } from "../src/agent/server.js";
import { runUnit } from "../src/runner/run-unit.js";
import { percentile } from "./stats.js";

const now = () => performance.timeOrigin + performance.now();

/** The service: after a random pause, `act` (listen or print), writing the epoch time it did so to `at`. */
function service(kind: "tcp" | "log", port: number, at: string): string {
  const stamp = `require("fs").writeFileSync(${JSON.stringify(at)}, String(performance.timeOrigin + performance.now()))`;
  const act =
    kind === "tcp"
      ? // Stamped just before listen(): the kernel accepts as soon as it returns, before any callback.
        `${stamp}; require("net").createServer((s) => s.destroy()).listen(${port}, "127.0.0.1")`
      : `${stamp}; process.stdout.write("service listening\\n")`;
  return `setTimeout(() => { ${act}; }, Math.random() * 300); setInterval(() => {}, 1000);`;
}

async function readyLatencies(kind: "tcp" | "log", runs: number): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), "usb-svc-"));
  const socketPath = join(dir, "agent.sock");
  const agent = await startAgent({ socketPath, version: "bench" });
  const client = connect(socketPath);
  const devNull = openSync("/dev/null", "w");
  const latencies: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const [svc, dep, at] = [`svc-${kind}-${i}`, `dep-${kind}-${i}`, join(dir, `at-${i}`)];
      const port = kind === "tcp" ? await freePort() : 0;
      await client.want({ unit: dep, dependsOn: [svc] });
      const started = (async () => {
        for await (const { event } of client.start({ unit: dep })) if (event.case === "started") return now();
        throw new Error(`${dep} never started`);
      })();
      const handle = runUnit(client, {
        unit: svc,
        after: [],
        command: [process.execPath, "-e", service(kind, port, at)],
        env: { PATH: process.env.PATH },
        ready: [kind === "tcp" ? `tcp:127.0.0.1:${port}` : "log:listening$"],
        readyTimeoutMs: 30_000,
        locks: [],
        timeoutMs: 30_000,
        runTimeoutMs: 0,
        retries: 0,
        retryDelayMs: 0,
        stdio: { fd: devNull },
      });
      const outcome = await handle.settled;
      if (!outcome.ok) throw new Error(`${svc}: ${outcome.reason}`);
      const startedAt = await started;
      latencies.push(startedAt - Number(readFileSync(at, "utf8")));
      await handle.stop("bench run over", 1_000);
    }
  } finally {
    closeSync(devNull);
    client.close();
    await agent.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return latencies;
}

/** ready_tcp_ms and ready_log_ms (p50) with their p90s, over `runs` runs each (at least 100 unless quick). */
export async function servicesBench(quick: boolean): Promise<Record<string, number>> {
  const runs = quick ? 20 : 100;
  const tcp = await readyLatencies("tcp", runs);
  const log = await readyLatencies("log", runs);
  return {
    ready_tcp_ms: percentile(tcp, 50),
    ready_tcp_p90_ms: percentile(tcp, 90),
    ready_log_ms: percentile(log, 50),
    ready_log_p90_ms: percentile(log, 90),
    ready_runs: runs,
  };
}
