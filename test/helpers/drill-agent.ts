// Drill helper: `unitsync agent` as a real process on a temp socket (with flags), and its live counts.
import { join } from "node:path";
import type { ExecutionContext } from "ava";
import { type UnitSyncClient, connect } from "../../src/client/client.js";
import { tempDir } from "./agent.js";
import { type Spawned, spawnCli } from "./cli.js";
import { until } from "./drill.js";

export interface AgentProcess {
  spawned: Spawned;
  pid: number;
  socketPath: string;
  dir: string;
  client: UnitSyncClient;
  /** The live counts from Ping. */
  counts(): Promise<{ units: number; waiters: number; streams: number; connections: number; events: number; droppedEvents: number }>;
}

/** Starts `unitsync agent --socket <temp> ...flags` and resolves once it answers Ping. */
export async function spawnAgent(t: ExecutionContext, flags: string[] = []): Promise<AgentProcess> {
  const dir = tempDir(t);
  const socketPath = join(dir, "agent.sock");
  const spawned = spawnCli(["agent", "--socket", socketPath, ...flags]);
  const client = connect(socketPath);
  t.teardown(async () => {
    client.close();
    if (spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill("SIGKILL");
    await spawned.done.catch(() => {});
  });
  const exited = () => spawned.child.exitCode !== null;
  await until(async () => exited() || (await client.ping({}, { deadline: new Date(Date.now() + 1_000) }), true), `the agent on ${socketPath} to answer`, 50_000); // a bound for a hang only
  if (exited()) throw new Error(`the agent exited at start-up: ${spawned.stderr()}`);
  const counts = async () => {
    const c = (await client.ping({}, { deadline: new Date(Date.now() + 5_000) })).counts!;
    return {
      units: c.units,
      waiters: c.waiters,
      streams: c.streams,
      connections: c.connections,
      events: Number(c.events),
      droppedEvents: Number(c.droppedEvents),
    };
  };
  return { spawned, pid: spawned.child.pid!, socketPath, dir, client, counts };
}
