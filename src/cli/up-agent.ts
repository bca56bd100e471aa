// `up`'s agent: join the one already serving on the socket, or start one in this process (its log
// in the log folder), and close it at the end.
import { closeSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SHORT_DEADLINE_MS, type UnitSyncClient, connect, deadlineIn } from "../client/client.js";
import { isUnavailable } from "../client/errors.js";
import { VERSION } from "../version.js";
import type { Agent } from "../agent/server.js";
import type { Io } from "./io.js";

export interface UpAgent {
  client: UnitSyncClient;
  /** The agent this `up` started, or undefined when it joined a running one. */
  agent: Agent | undefined;
  /** Closes the client and the agent this `up` started. */
  close(): Promise<void>;
}

async function agentAnswers(client: UnitSyncClient): Promise<boolean> {
  try {
    await client.ping({}, { deadline: deadlineIn(SHORT_DEADLINE_MS) });
    return true;
  } catch (error) {
    if (isUnavailable(error)) return false;
    throw error;
  }
}

export async function joinOrStartAgent(socketPath: string, logDir: string): Promise<UpAgent> {
  let client = connect(socketPath);
  let agent: Agent | undefined;
  let agentLog: number | undefined;
  const close = async () => {
    client.close();
    await agent?.close();
    if (agentLog !== undefined) closeSync(agentLog);
    agentLog = undefined; // a late log line must not go to whatever file reuses the descriptor
  };
  try {
    if (!(await agentAnswers(client))) {
      const { startAgent } = await import("../agent/server.js");
      const log = openSync(join(logDir, "agent.log"), "a");
      agentLog = log;
      const write = (line: string) => {
        if (agentLog === log) writeFileSync(log, `${new Date().toISOString()} ${line}\n`);
      };
      agent = await startAgent({ socketPath, version: VERSION, log: write });
      client.close(); // its channel remembers the failed connect and backs off; start afresh
      client = connect(socketPath);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    get client() {
      return client;
    },
    agent,
    close,
  };
}

/** Keeps the agent serving until SIGINT or SIGTERM (`up --serve`). */
export function serveUntilSignal(io: Io, agent: Agent): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      for (const signal of ["SIGINT", "SIGTERM"]) io.signals.off(signal, stop);
      void agent.close().then(resolve);
    };
    for (const signal of ["SIGINT", "SIGTERM"]) io.signals.on(signal, stop);
  });
}
