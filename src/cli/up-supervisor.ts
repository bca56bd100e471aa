// `up`'s own agent as a child process (`unitsync agent --socket S --journal S.journal`, its log in
// the log folder), restarted at once on the same socket and journal when it dies unexpectedly, so
// the start-up's calls ride out the gap through reconnect. Stopped with SIGTERM at the end, and
// its journal removed then.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { SHORT_DEADLINE_MS, connect, deadlineIn } from "../client/client.js";
import { defaultJournalPath } from "./agent-verb.js";

/** Restarts in a row whose agent exited before it answered: past this `up` gives up on it. */
const MAX_FAILED_STARTS = 3;

export interface SupervisedAgent {
  /** The current agent process's pid. */
  pid(): number | undefined;
  /** Stops the agent (SIGTERM: a clean shutdown) and the supervision. Idempotent. */
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once an agent answers Ping on the socket; rejects when `child` exits first. */
async function answered(socketPath: string, child: ChildProcess): Promise<void> {
  const client = connect(socketPath, { separate: true });
  try {
    for (let attempt = 0; ; attempt++) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`it exited (${child.signalCode ?? `status ${child.exitCode}`})`);
      try {
        await client.ping({}, { deadline: deadlineIn(SHORT_DEADLINE_MS) });
        return;
      } catch {
        await sleep(Math.min(200, 10 * 2 ** Math.min(attempt, 5)));
      }
    }
  } finally {
    client.close();
  }
}

/**
 * Starts the agent and resolves once it answers. `say` gets one line per restart. The agent runs
 * in a process group of its own, so a Ctrl-C meant for the scripts does not stop it first.
 */
export async function superviseAgent(self: readonly string[], socketPath: string, logDir: string, say: (line: string) => void): Promise<SupervisedAgent> {
  const log = openSync(join(logDir, "agent.log"), "a");
  let child: ChildProcess | undefined;
  let closing = false;
  let failedStarts = 0;
  const argv = [...self.slice(1), "agent", "--socket", socketPath, "--journal", defaultJournalPath(socketPath), "--stop-with-stdin"];
  const launch = (fresh = false): ChildProcess => {
    // Its stdin is a pipe from `up` that is never written: if `up` dies, the agent sees it close and stops.
    const next = spawn(self[0]!, fresh ? [...argv, "--fresh"] : argv, { stdio: ["pipe", log, log], detached: true });
    next.stdin?.on("error", () => {}); // the agent gone first: nothing to tell
    next.once("exit", (code, signal) => {
      if (closing || child !== next) return;
      const how = signal ? `was killed by ${signal}` : `exited with status ${code}`;
      if (++failedStarts > MAX_FAILED_STARTS) {
        say(`the agent (pid ${next.pid}) ${how}; it failed to start ${MAX_FAILED_STARTS} times in a row, not restarting it (see ${join(logDir, "agent.log")})`);
        return;
      }
      writeSync(log, `${new Date().toISOString()} unitsync up: the agent (pid ${next.pid}) ${how}; restarting it\n`);
      child = launch();
      say(`the agent (pid ${next.pid}) ${how}; restarted it (pid ${child.pid}) on ${socketPath} with its journal`);
      const restarted = child;
      answered(socketPath, restarted).then(
        () => child === restarted && (failedStarts = 0),
        () => {},
      );
    });
    return next;
  };
  // The first agent starts empty: a journal left by an `up` that was killed (its agent stopped with
  // its stdin, keeping the journal) is a start-up that is over. Restarts replay it.
  child = launch(true);
  try {
    await answered(socketPath, child);
  } catch (error) {
    closing = true;
    child.kill("SIGKILL");
    closeSync(log);
    throw new Error(`the agent did not start: ${error instanceof Error ? error.message : String(error)} (see ${join(logDir, "agent.log")})`);
  }
  let closed: Promise<void> | undefined;
  return {
    pid: () => child?.pid,
    close: () =>
      (closed ??= (async () => {
        closing = true;
        const last = child!;
        if (last.exitCode === null && last.signalCode === null) {
          const exited = new Promise((resolve) => last.once("exit", resolve));
          last.kill("SIGTERM");
          await exited;
        }
        // A stopped agent keeps its journal for the next one; up's start-up ends here on purpose,
        // so the next `up` starts empty.
        rmSync(defaultJournalPath(socketPath), { force: true });
        closeSync(log);
      })()),
  };
}
