// The wait before a unit runs: one streaming Start call that reports what the unit waits for and
// each dependency as the agent pushes it; used by `start`, `run` and `up`.
import { callId } from "./call-id.js";
import { SHORT_DEADLINE_MS, type UnitSyncClient, deadlineIn } from "../client/client.js";
import { isTimeout } from "../client/errors.js";
import { ExitCode } from "../client/exit-codes.js";
import { statusName } from "../rpc/enums.js";
import { closest } from "./suggest.js";
import { formatDuration } from "./duration.js";
import { goQuote, sortedNames } from "../view/coder-format.js";

/** Where progress lines go: anything with a `write`. */
export interface ProgressOutput {
  write(chunk: string): unknown;
}

export interface WaitOptions {
  timeoutMs: number;
  /** Where coder's lines go: stdout for `start`, stderr for `run` (stdout belongs to the command). */
  progress: ProgressOutput;
  /** Where unitsync's own progress goes (each dependency, durations, notices); default: `progress`. */
  notices?: ProgressOutput;
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
    say(`Unit ${goQuote(unit)} is waiting for ${goQuote(name)}, which no unit has registered${guess ? ` (did you mean "${guess}"?)` : ""}`);
  }
}

/** Waits until the agent starts `unit`. Throws RunnerError (exit 4) at the timeout. */
export async function waitToStart(client: UnitSyncClient, unit: string, options: WaitOptions): Promise<void> {
  // Coder's lines, exactly one per outcome (two for a wait); everything else is a note.
  const say = (line: string) => options.progress.write(`${line}\n`);
  const note = (line: string) => (options.notices ?? options.progress).write(`${line}\n`);
  const quoted = goQuote(unit);
  let waitedFor: string[] = [];
  let unmet: string[] = [];
  const notice = options.notice ?? DEFAULT_NOTICE;
  let timer: NodeJS.Timeout | undefined;
  let done = false; // a look-up still running when the wait ends must not print a stale notice
  let started = false; // the deadline may pass after Started arrived, before the stream's end: the unit started
  const scheduleNotice = (delay: number) => {
    timer = setTimeout(() => {
      reportUnregistered(client, unit, unmet, (line) => {
        if (!done) note(line);
      }).catch(() => {}); // the wait itself reports agent trouble
      scheduleNotice(notice.everyMs);
    }, delay);
  };
  try {
    // One id for this wait: a client that reconnects to a restarted agent resumes it, not starts twice.
    const stream = client.start({ unit, startId: callId() }, { deadline: deadlineIn(options.timeoutMs), ...(options.signal ? { signal: options.signal } : {}) });
    for await (const { event } of stream) {
      switch (event.case) {
        case "waiting": {
          unmet = event.value.unmet;
          const first = waitedFor.length === 0;
          waitedFor = [...new Set([...waitedFor, ...unmet])];
          // A later Waiting means a want added dependencies to the open wait.
          (first ? say : note)(`Unit ${quoted} is waiting for dependencies to be satisfied: ${bracketList(sortedNames(unmet))}`);
          if (timer === undefined) scheduleNotice(notice.afterMs);
          break;
        }
        case "dependencySatisfied": {
          unmet = event.value.unmet;
          const left = unmet.length > 0 ? `; still waiting for ${bracketList(unmet)}` : "";
          note(`Dependency ${goQuote(event.value.name)} ${statusName(event.value.status)}${left}`);
          break;
        }
        case "started": {
          started = true;
          const deps = sortedNames(event.value.dependencies);
          if (waitedFor.length > 0) {
            say(`Unit ${quoted} finished waiting for dependencies: ${bracketList(sortedNames(waitedFor))}`);
            note(`waited ${formatDuration(Number(event.value.waitedMs))}`);
          } else if (deps.length > 0) {
            say(`Unit ${quoted} started immediately, dependencies already satisfied: ${bracketList(deps)}`);
          } else {
            say(`Unit ${quoted} started with no dependencies`);
          }
          const attempt = event.value.unit?.attempt ?? 1;
          if (attempt > 1) note(`attempt ${attempt}`);
          break;
        }
      }
    }
  } catch (error) {
    if (started && isTimeout(error)) return;
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
