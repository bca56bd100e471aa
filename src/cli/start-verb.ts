// `start`: one streaming Start call that prints what the unit waits for and each dependency as
// the agent pushes it; also the wait that `run` performs before its command.
import { status as Code, type ServiceError } from "@grpc/grpc-js";
import { type UnitSyncClient, deadlineIn } from "../client/client.js";
import { ExitCode } from "../client/exit-codes.js";
import { statusName } from "../rpc/enums.js";
import { formatDuration, parseDuration } from "./duration.js";
import { bracketList } from "./format.js";
import { CommandError, type Io, type Output } from "./io.js";
import { type GlobalOptions, withClient } from "./session.js";

export const DEFAULT_TIMEOUT = "5m";

export interface WaitOptions {
  timeoutMs: number;
  /** Where progress lines go: stdout for `start`, stderr for `run` (stdout belongs to the command). */
  progress: Output;
  signal?: AbortSignal;
}

/** Waits until the agent starts `unit`. Throws CommandError (exit 4) at the timeout. */
export async function waitToStart(client: UnitSyncClient, unit: string, options: WaitOptions): Promise<void> {
  const say = (line: string) => options.progress.write(`${line}\n`);
  let waitedFor: string[] = [];
  let unmet: string[] = [];
  try {
    const stream = client.start({ unit }, { deadline: deadlineIn(options.timeoutMs), ...(options.signal ? { signal: options.signal } : {}) });
    for await (const { event } of stream) {
      switch (event.case) {
        case "waiting": {
          unmet = event.value.unmet;
          waitedFor = [...new Set([...waitedFor, ...unmet])];
          say(`Unit "${unit}" is waiting for dependencies to be satisfied: ${bracketList(unmet)}`);
          for (const name of event.value.unregistered) {
            say(`Unit "${unit}" depends on "${name}", which no unit has registered yet`);
          }
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
    if ((error as ServiceError).code === Code.DEADLINE_EXCEEDED) {
      const still = unmet.length > 0 ? `; still unmet: ${bracketList(unmet)}` : "";
      throw new CommandError(
        `timeout waiting for dependencies of unit '${unit}' after ${formatDuration(options.timeoutMs)}${still}`,
        ExitCode.timeout,
      );
    }
    throw error;
  }
}

export function start(io: Io, unit: string, options: GlobalOptions & { timeout?: string | number }): Promise<number> {
  const timeoutMs = parseDuration(options.timeout ?? DEFAULT_TIMEOUT, "--timeout");
  return withClient(io, options, `start ${unit}`, (client) => waitToStart(client, unit, { timeoutMs, progress: io.stdout }));
}
