// Test helpers: a real `unitsync agent` process on a socket in a temp dir, ready once `ping` succeeds.
import { join } from "node:path";
import type { ExecutionContext } from "ava";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { type UnitSyncClient, connect } from "../../src/client/client.js";
import { tempDir } from "./agent.js";
import { type CliResult, type Spawned, spawnCli } from "./cli.js";

export interface AgentProcess {
  agent: Spawned;
  socketPath: string;
  dir: string;
  /** A gRPC client on the agent's socket, closed after the test. */
  client: UnitSyncClient;
  /** Starts `unitsync ...argv --socket <socket>` as a real process. */
  spawn(argv: string[], env?: Record<string, string | undefined>): Spawned;
  /** Runs `unitsync ...argv --socket <socket>` to the end. */
  run(argv: string[], env?: Record<string, string | undefined>): Promise<CliResult>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits for `spawned` to exit; SIGKILLs it if it has not after `graceMs`. */
export async function stopProcess(spawned: Spawned, signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<CliResult> {
  if (spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill(signal);
  const timer = setTimeout(() => spawned.child.kill("SIGKILL"), graceMs);
  try {
    return await spawned.done;
  } finally {
    clearTimeout(timer);
  }
}

export async function withAgentProcess(t: ExecutionContext): Promise<AgentProcess> {
  const dir = tempDir(t);
  const socketPath = join(dir, "agent.sock");
  const agent = spawnCli(["agent", "--socket", socketPath]);
  const children: Spawned[] = [];
  const spawn = (argv: string[], env: Record<string, string | undefined> = {}) => {
    const child = spawnCli([...argv, "--socket", socketPath], env);
    children.push(child);
    return child;
  };
  let client: UnitSyncClient | undefined;
  t.teardown(async () => {
    client?.close();
    await Promise.all(children.map((c) => stopProcess(c, "SIGKILL")));
    await stopProcess(agent);
  });
  const until = Date.now() + 45_000; // a bound for a hang only
  for (;;) {
    const ping = await spawnCli(["ping", "--socket", socketPath]).done;
    if (ping.code === 0) break;
    if (agent.child.exitCode !== null) throw new Error(`agent exited with ${agent.child.exitCode}: ${agent.stderr()}`);
    if (Date.now() > until) throw new Error(`agent did not answer ping: ${ping.stderr}`);
    await sleep(50);
  }
  client = connect(socketPath);
  return { agent, socketPath, dir, client, spawn, run: (argv, env) => spawn(argv, env).done };
}

/** Milliseconds of an optional timestamp; fails loudly when it is missing. */
export function ms(timestamp: Timestamp | undefined, what: string): number {
  if (!timestamp) throw new Error(`missing timestamp: ${what}`);
  return timestampMs(timestamp);
}
