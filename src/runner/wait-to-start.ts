// The wait before a unit runs: one streaming Start call that reports what the unit waits for and
// each dependency as the agent pushes it; used by `start`, `run` and `up`.
import { randomUUID } from "node:crypto";
import { SHORT_DEADLINE_MS, type UnitSyncClient, deadlineIn } from "../client/client.js";
import { isTimeout } from "../client/errors.js";
import { ExitCode } from "../client/exit-codes.js";
import { statusName } from "../rpc/enums.js";
import { closest } from "./suggest.js";
import { formatDuration } from "./duration.js";

/** Where progress lines go: anything with a `write`. */
export interface ProgressOutput {
  write(chunk: string): unknown;
}

export interface WaitOptions {
  timeoutMs: number;
  /** Where progress lines go: stdout for `start`, stderr for `run` (stdout belongs to the command). */
  progress: ProgressOutput;
  signal?: AbortSignal;
  /** When to first say that a dependency was never registered, then how often to repeat it. */
  notice?: { afterMs: number; everyMs: number };
}

/** A failure of the runner that decides the exit code (a wait that timed out: 4). */
export class RunnerError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export const DEFAULT_NOTICE = { afterMs: 3_000, everyMs: 30_000 };

const bracketList = (names: readonly string[]): string => `[${names.join(", ")}]`;

/**
 * Says which unmet dependencies nobody has registered, with the closest registered name. A typo
 * in a dependency otherwise looks exactly like a slow dependency until the timeout.
 */
async function reportUnregistered(client: UnitSyncClient, unit: string, unmet: readonly string[], say: (line: string) => void) {
  const { units } = await client.listUnits({}, { deadline: deadlineIn(SHORT_DEADLINE_MS) });
  const registered = new Set(units.map((u) => u.name));
  for (const name of unmet) {
    if (registered.has(name)) continue;
    const guess = closest(name, registered);
    say(`Unit "${unit}" is waiting for "${name}", which no unit has registered${guess ? ` (did you mean "${guess}"?)` : ""}`);
  }
}

/** Waits until the agent starts `unit`. Throws RunnerError (exit 4) at the timeout. */
export async function waitToStart(client: UnitSyncClient, unit: string, options: WaitOptions): Promise<void> {
  const say = (line: string) => options.progress.write(`${line}\n`);
  let waitedFor: string[] = [];
  let unmet: string[] = [];
  const notice = options.notice ?? DEFAULT_NOTICE;
  let timer: NodeJS.Timeout | undefined;
  let done = false; // a look-up still running when the wait ends must not print a stale notice
  const scheduleNotice = (delay: number) => {
    timer = setTimeout(() => {
      reportUnregistered(client, unit, unmet, (line) => {
        if (!done) say(line);
      }).catch(() => {}); // the wait itself reports agent trouble
      scheduleNotice(notice.everyMs);
    }, delay);
  };
  try {
    // One id for this wait: a client that reconnects to a restarted agent resumes it, not starts twice.
    const stream = client.start({ unit, startId: randomUUID() }, { deadline: deadlineIn(options.timeoutMs), ...(options.signal ? { signal: options.signal } : {}) });
    for await (const { event } of stream) {
      switch (event.case) {
        case "waiting": {
          unmet = event.value.unmet;
          waitedFor = [...new Set([...waitedFor, ...unmet])];
          say(`Unit "${unit}" is waiting for dependencies to be satisfied: ${bracketList(unmet)}`);
          if (timer === undefined) scheduleNotice(notice.afterMs);
          break;
        }
        case "dependencySatisfied": {
          unmet = event.value.unmet;
          const left = unmet.length > 0 ? `; still waiting for ${bracketList(unmet)}` : "";
          say(`Dependency "${event.value.name}" ${statusName(event.value.status)}${left}`);
          break;
        }
        case "started": {
          const deps = event.value.dependencies;
          if (waitedFor.length > 0) {
            say(`Unit "${unit}" finished waiting for dependencies: ${bracketList(waitedFor)} (${formatDuration(Number(event.value.waitedMs))})`);
          } else if (deps.length > 0) {
            say(`Unit "${unit}" started immediately, dependencies already satisfied: ${bracketList(deps)}`);
          } else {
            say(`Unit "${unit}" started with no dependencies`);
          }
          break;
        }
      }
    }
  } catch (error) {
    if (isTimeout(error)) {
      const still = unmet.length > 0 ? `; still unmet: ${bracketList(unmet)}` : "";
      throw new RunnerError(
        `timeout waiting for dependencies of unit '${unit}' after ${formatDuration(options.timeoutMs)}${still}`,
        ExitCode.timeout,
      );
    }
    throw error;
  } finally {
    done = true;
    clearTimeout(timer);
  }
}
