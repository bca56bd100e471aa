// Test helpers: a real agent on a real Unix socket in a fresh temp dir, and a client for it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecutionContext } from "ava";
import { type UnitSyncClient, connect } from "../../src/client/client.js";
import { type Agent, type AgentOptions, startAgent } from "../../src/agent/server.js";
import "./hermetic.js";

/** A fresh, short temp dir (socket paths must stay under 107 bytes), removed after the test. */
export function tempDir(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), "us-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface TestAgent {
  agent: Agent;
  socketPath: string;
  client: UnitSyncClient;
  dir: string;
  /** Another client on the same socket. */
  newClient(): UnitSyncClient;
  logs: string[];
}

export async function withAgent(t: ExecutionContext, options: Partial<AgentOptions> = {}): Promise<TestAgent> {
  const dir = tempDir(t);
  const socketPath = join(dir, "agent.sock");
  const logs: string[] = [];
  const agent = await startAgent({ socketPath, version: "test", log: (line) => logs.push(line), graceMs: 500, ...options });
  const clients: UnitSyncClient[] = [];
  const newClient = () => {
    const c = connect(socketPath);
    clients.push(c);
    return c;
  };
  const client = newClient();
  t.teardown(async () => {
    for (const c of clients) c.close();
    await agent.close();
  });
  return { agent, socketPath, client, dir, newClient, logs };
}

/** Resolves when `predicate` holds, checking after each turn of the event loop (bounded). */
export async function eventually(predicate: () => boolean, what: string, limitMs = 5_000): Promise<void> {
  const until = Date.now() + limitMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
