// The live unit table that `watch` and `up` redraw: unit, status, ready, what it waits on, since.
import { timestampMs } from "../rpc/timestamps.js";
import { statusName } from "../rpc/enums.js";
import type { Unit } from "../../gen/unitsync/v1/unitsync_pb.js";
import { formatDuration } from "./duration.js";
import { table } from "./format.js";
import { processNote } from "./process-text.js";
import { paintStatus } from "./style.js";

/** What keeps a unit from starting: its failed root when blocked, else its unmet dependencies. */
export function waitingOn(unit: Unit): string {
  if (unit.blocked) return `blocked: ${unit.blocked.failedUnit} failed`;
  const unmet = unit.dependencies.filter((d) => !d.satisfied).map((d) => d.dependsOn);
  return unmet.join(", ") || processNote(unit);
}

export function unitTable(units: readonly Unit[], now: number, color: boolean): string {
  const rows = units.map((u) => {
    const status = statusName(u.status);
    const since = u.changedAt ? formatDuration(Math.max(0, now - timestampMs(u.changedAt))) : "";
    const attempt = u.attempt > 1 ? ` (attempt ${u.attempt})` : "";
    return [u.name, status + attempt, String(u.ready), waitingOn(u) || (u.waiting ? "" : "-"), since];
  });
  const paint = (padded: string, cell: string, column: number) => (column === 1 ? paintStatus(padded, cell.split(" (")[0]!, color) : padded);
  return table(["UNIT", "STATUS", "READY", "WAITING ON", "SINCE"], rows, paint);
}
