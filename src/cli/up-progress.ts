// `up`'s live progress, pushed by the agent: a line per status change, or on a TTY a redrawn
// table of every unit with what is running.
import { SHORT_DEADLINE_MS, type UnitSyncClient, deadlineIn } from "../client/client.js";
import { statusName } from "../rpc/enums.js";
import { formatDuration } from "./duration.js";
import type { Io } from "./io.js";
import { CLEAR_SCREEN, paintStatus, useColor } from "./style.js";
import { unitTable } from "./unit-table.js";

export interface Progress {
  /** `+1.20s  ` since `up` began, for lines of its own. */
  since(): string;
  /** Whether lines of `up`'s own are printed (not on a TTY, where the table is redrawn). */
  readonly lines: boolean;
  /** Stops watching; resolves once the stream has ended. */
  stop(): Promise<void>;
}

/**
 * Subscribes to the agent's events and resolves once the snapshot has arrived, so that nothing
 * started afterwards can be missed. `running` names what runs now, for the table.
 */
export async function watchProgress(io: Io, client: UnitSyncClient, t0: number, running: () => string[]): Promise<Progress> {
  const tty = Boolean(io.stderr.isTTY);
  const color = useColor(io, io.stderr);
  const since = () => `+${formatDuration(Date.now() - t0)}`.padEnd(8);
  const stopWatch = new AbortController();
  let redraw: NodeJS.Timeout | undefined;
  const draw = async () => {
    redraw = undefined;
    const { units } = await client.listUnits({}, { deadline: deadlineIn(SHORT_DEADLINE_MS) });
    io.stderr.write(CLEAR_SCREEN + unitTable(units, Date.now(), color) + `\nrunning: ${running().join(", ") || "none"}\n`);
  };
  let subscribed!: () => void;
  const watchReady = new Promise<void>((resolve) => (subscribed = resolve));
  const watching = (async () => {
    try {
      for await (const { message } of client.watch({}, { signal: stopWatch.signal })) {
        subscribed(); // the snapshot: every later change will be pushed
        if (message.case !== "event") continue;
        if (tty) redraw ??= setTimeout(() => draw().catch(() => {}), 50);
        else if (message.value.from !== message.value.to) {
          const to = statusName(message.value.to);
          const reason = message.value.reason ? ` (${message.value.reason})` : "";
          io.stderr.write(`${since()}${message.value.unit} ${paintStatus(to, to, color)}${reason}\n`);
        }
      }
    } catch {
      // cancelled at the end, or the agent went away (the runs will say so)
    } finally {
      subscribed();
    }
  })();
  await watchReady;
  return {
    since,
    lines: !tty,
    stop: async () => {
      stopWatch.abort();
      clearTimeout(redraw);
      await watching;
    },
  };
}
