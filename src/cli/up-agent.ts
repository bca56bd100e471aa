// `up`'s agent: join the one already serving on the socket, or start one — a supervised child
// process with a journal (up-supervisor.ts) when this unitsync can run itself again, else in this
// process — its log in the log folder, and close it at the end.
import { closeSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SHORT_DEADLINE_MS, type UnitSyncClient, connect, deadlineIn } from "../client/client.js";
import { isUnavailable } from "../client/errors.js";
import { VERSION } from "../version.js";
import { connectReconnecting } from "../client/reconnect.js";
import type { Io } from "./io.js";
import { DEFAULT_RECONNECT } from "./defaults.js";
import { parseDuration } from "./duration.js";

/** What `up` can stop: the agent it started. */
export interface OwnAgent {
  close(): Promise<void>;
}

export interface UpAgent {
  client: UnitSyncClient;
  /** The agent this `up` started, or undefined when it joined a running one. */
  agent: OwnAgent | undefined;
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

export async function joinOrStartAgent(socketPath: string, logDir: string, io?: Io): Promise<UpAgent> {
  let client = connect(socketPath);
  let agent: OwnAgent | undefined;
  let agentLog: number | undefined;
  const close = async () => {
    client.close();
    await agent?.close();
    if (agentLog !== undefined) closeSync(agentLog);
    agentLog = undefined; // a late log line must not go to whatever file reuses the descriptor
  };
  try {
    const running = await agentAnswers(client);
    if (!running && io?.self && io.self.length > 0) {
      const { superviseAgent } = await import("./up-supervisor.js");
      const say = (line: string) => io.stderr.write(`unitsync up: ${line}\n`);
      agent = await superviseAgent(io.self, socketPath, logDir, say);
      client.close();
      // The start-up's calls ride out a restart of the agent.
      client = connectReconnecting(socketPath, { reconnectMs: parseDuration(DEFAULT_RECONNECT, "--reconnect"), notice: say });
    } else if (!running) {
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
export function serveUntilSignal(io: Io, agent: OwnAgent): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      for (const signal of ["SIGINT", "SIGTERM"]) io.signals.off(signal, stop);
      void agent.close().then(resolve);
    };
    for (const signal of ["SIGINT", "SIGTERM"]) io.signals.on(signal, stop);
  });
}
