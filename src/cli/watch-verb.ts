// `watch`: a live view pushed by the agent — a redrawn table on a TTY, one JSON object per event
// otherwise. Ctrl-C ends it with 0; the agent going away ends it with 3.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { SHORT_DEADLINE_MS, deadlineIn } from "../client/client.js";
import { isCancelled } from "../client/errors.js";
import { ExitCode } from "../client/exit-codes.js";
import { eventKindName, statusName } from "../rpc/enums.js";
import type { Event } from "../../gen/unitsync/v1/unitsync_pb.js";
import { outputFormat } from "./format.js";
import { CommandError, type Io } from "./io.js";
import { type GlobalOptions, withClient } from "./session.js";
import { unitJson } from "./unit-verbs.js";
import { processJson } from "./process-text.js";
import { CLEAR_SCREEN, useColor } from "./style.js";
import { unitTable } from "./unit-table.js";

export function eventJson(event: Event) {
  return {
    type: "event",
    seq: Number(event.seq),
    time: event.time ? timestampDate(event.time).toISOString() : null,
    unit: event.unit,
    kind: eventKindName(event.kind),
    from: statusName(event.from),
    to: statusName(event.to),
    reason: event.reason,
    depends_on: event.dependsOn,
    attempt: event.attempt,
    ...(event.process ? { process: processJson(event.process) } : {}),
    ...(event.leaseId
      ? { locks: event.locks, lease_id: event.leaseId, holder: event.lockHolder, ...(event.lockReleasedBy ? { released_by: event.lockReleasedBy } : {}) }
      : {}),
  };
}


export function watch(io: Io, units: string[], options: GlobalOptions & { output?: string }): Promise<number> {
  const format = outputFormat(options.output ?? (io.stdout.isTTY ? "table" : "json"));
  return withClient(io, options, "watch", async (client) => {
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    for (const signal of ["SIGINT", "SIGTERM"]) io.signals.on(signal, onSignal);
    let redraw: NodeJS.Timeout | undefined;
    const draw = async () => {
      redraw = undefined;
      const all = (await client.listUnits({}, { deadline: deadlineIn(SHORT_DEADLINE_MS) })).units;
      const shown = units.length > 0 ? all.filter((u) => units.includes(u.name)) : all;
      io.stdout.write(CLEAR_SCREEN + unitTable(shown, Date.now(), useColor(io)) + "\nwatching; Ctrl-C to stop\n");
    };
    // Events are pushed; redraws are coalesced so a burst of events draws once.
    const scheduleDraw = () => (redraw ??= setTimeout(() => draw().catch(() => {}), 50));
    try {
      for await (const { message } of client.watch({ units }, { signal: stop.signal })) {
        if (format === "json") {
          const line =
            message.case === "snapshot"
              ? { type: "snapshot", last_seq: Number(message.value.lastSeq), units: message.value.units.map((u) => ({ ...unitJson(u), attempt: u.attempt })) }
              : message.case === "event"
                ? eventJson(message.value)
                : undefined;
          if (line) io.stdout.write(JSON.stringify(line) + "\n");
        } else {
          scheduleDraw();
        }
      }
      throw new CommandError("the agent shut down", ExitCode.unreachable);
    } catch (error) {
      if (stop.signal.aborted && isCancelled(error)) return ExitCode.ok;
      throw error;
    } finally {
      clearTimeout(redraw);
      for (const signal of ["SIGINT", "SIGTERM"]) io.signals.off(signal, onSignal);
    }
  });
}
