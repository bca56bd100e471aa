// `start`: one streaming Start call that prints what the unit waits for and each dependency as
// the agent pushes it (the wait itself is the runner's, shared with `run`).
import { type UnitSyncClient } from "../client/client.js";
import { DEFAULT_NOTICE, RunnerError, type WaitOptions, waitToStart as runnerWait } from "../runner/wait-to-start.js";
import { parseDuration } from "./duration.js";
import { CommandError, type Io } from "./io.js";
import { type GlobalOptions, withClient } from "./session.js";

import { DEFAULT_TIMEOUT } from "./defaults.js";

export { DEFAULT_NOTICE, type WaitOptions } from "../runner/wait-to-start.js";

/** The notice timing, overridable with UNITSYNC_NOTICE_AFTER (a duration) for slow or fast set-ups. */
export function noticeFromEnv(env: Record<string, string | undefined>): WaitOptions["notice"] {
  const after = env.UNITSYNC_NOTICE_AFTER;
  return after ? { ...DEFAULT_NOTICE, afterMs: parseDuration(after, "UNITSYNC_NOTICE_AFTER") } : DEFAULT_NOTICE;
}

/** Waits until the agent starts `unit`. Throws CommandError (exit 4) at the timeout. */
export async function waitToStart(client: UnitSyncClient, unit: string, options: WaitOptions): Promise<void> {
  try {
    await runnerWait(client, unit, options);
  } catch (error) {
    if (error instanceof RunnerError) throw new CommandError(error.message, error.exitCode);
    throw error;
  }
}

export function start(io: Io, unit: string, options: GlobalOptions & { timeout?: string | number }): Promise<number> {
  const timeoutMs = parseDuration(options.timeout ?? DEFAULT_TIMEOUT, "--timeout");
  const notice = noticeFromEnv(io.env);
  return withClient(io, options, `start ${unit}`, (client) =>
    waitToStart(client, unit, { timeoutMs, progress: io.stdout, notices: io.stderr, notice }),
  );
}
