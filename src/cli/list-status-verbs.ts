// `list` and `status`, with coder exp sync's stdout byte for byte: tables sorted as coder sorts
// them, `-c/--column`, coder's JSON; what unitsync adds (attempts, waits) goes to stderr.
import { ExitCode } from "../client/exit-codes.js";
import { conditionName, statusName } from "../rpc/enums.js";
import type { Unit } from "../../gen/unitsync/v1/unitsync_pb.js";
import { byteOrder, goJson } from "../view/coder-format.js";
import { outputFormat, table } from "./format.js";
import { CommandError, type Io } from "./io.js";
import { type GlobalOptions, withClient } from "./session.js";
import { processField, processLine } from "./process-text.js";
import { coderStatus, short } from "./unit-verbs.js";

export function blockedLine(unit: Unit): string | undefined {
  const b = unit.blocked;
  if (!b) return undefined;
  const via = b.chain.length > 2 ? ` via ${b.chain.join(" -> ")}` : "";
  return `${b.failedUnit} failed${b.reason ? `: ${b.reason}` : ""}${via}`;
}

type ColumnOptions = GlobalOptions & { output?: string; column?: string | string[] };

/** The columns `-c` picks (comma-separated or repeated, any case), in the table's own order. */
export function pickColumns(header: readonly string[], value: ColumnOptions["column"]): number[] {
  if (value === undefined) return header.map((_, i) => i);
  const wanted = [value].flat().flatMap((v) => String(v).split(",")).map((v) => v.trim().toLowerCase()).filter(Boolean);
  const names = header.map((h) => h.toLowerCase());
  for (const name of wanted) {
    if (!names.includes(name)) {
      throw new CommandError(`-c ${name}: unknown column; use ${names.join(", ")}`, ExitCode.usage);
    }
  }
  return names.flatMap((name, i) => (wanted.includes(name) ? [i] : []));
}

function columnTable(header: readonly string[], rows: string[][], columns: number[]): string {
  return table(
    columns.map((i) => header[i]!),
    rows.map((row) => columns.map((i) => row[i]!)),
  );
}

const LIST_HEADER = ["UNIT", "STATUS", "READY"];

export function list(io: Io, options: ColumnOptions): Promise<number> {
  const format = outputFormat(options.output);
  const columns = pickColumns(LIST_HEADER, options.column);
  return withClient(io, options, "list", async (client) => {
    const units = [...(await client.listUnits({}, short())).units].sort((a, b) => byteOrder(a.name, b.name));
    if (format === "json") {
      io.stdout.write(goJson(units.map((u) => ({ unit_name: u.name, status: coderStatus(statusName(u.status)), is_ready: u.ready, ...processField(u) }))));
    } else if (units.length === 0) {
      io.stdout.write("No units registered\n");
    } else {
      io.stdout.write(columnTable(LIST_HEADER, units.map((u) => [u.name, statusName(u.status), String(u.ready)]), columns));
    }
  });
}

const STATUS_HEADER = ["DEPENDS ON", "REQUIRED STATUS", "CURRENT STATUS", "SATISFIED"];

/** What unitsync adds to a status, for stderr: the attempt, an open wait, locks held or awaited. */
function extras(unit: Unit): string {
  let text = "";
  if (unit.attempt > 1) text += `Attempt: ${unit.attempt}\n`;
  if (unit.waiting) text += "Waiting: a start call is waiting for its dependencies\n";
  if (unit.locksHeld.length > 0) text += `Holds locks: ${unit.locksHeld.join(", ")}\n`;
  if (unit.locksWaiting.length > 0) text += `Waiting for locks: ${unit.locksWaiting.join(", ")}\n`;
  return text;
}

export function status(io: Io, name: string, options: ColumnOptions): Promise<number> {
  const format = outputFormat(options.output);
  const columns = pickColumns(STATUS_HEADER, options.column);
  return withClient(io, options, `status ${name}`, async (client) => {
    const unit = (await client.getUnit({ unit: name }, short())).unit!;
    const dependencies = [...unit.dependencies].sort((a, b) => byteOrder(a.dependsOn, b.dependsOn));
    const failed = statusName(unit.status) === "failed";
    if (format === "json") {
      io.stdout.write(
        goJson({
          unit_name: unit.name,
          status: coderStatus(statusName(unit.status)),
          is_ready: unit.ready,
          dependencies: dependencies.map((d) => ({
            depends_on: d.dependsOn,
            required_status: conditionName(d.required),
            current_status: coderStatus(statusName(d.currentStatus)),
            is_satisfied: d.satisfied,
          })),
          // unitsync's additions, only when they apply (a coder script never sees them).
          ...(unit.attempt > 1 ? { attempt: unit.attempt } : {}),
          ...(failed && unit.reason ? { reason: unit.reason } : {}),
          ...(unit.blocked ? { blocked_by: { unit: unit.blocked.failedUnit, reason: unit.blocked.reason, chain: unit.blocked.chain } } : {}),
          ...processField(unit),
          ...(unit.locksHeld.length > 0 ? { locks_held: unit.locksHeld } : {}),
          ...(unit.locksWaiting.length > 0 ? { locks_waiting: unit.locksWaiting } : {}),
        }),
      );
      return;
    }
    let text = `Unit: ${unit.name}\nStatus: ${statusName(unit.status)}\nReady: ${unit.ready}\n`;
    if (failed) text += `Reason: ${unit.reason || "no reason given"}\n`;
    const blocked = blockedLine(unit);
    if (blocked) text += `Blocked by: ${blocked}\n`;
    text += "\nDependencies:\n";
    const rows = dependencies.map((d) => [d.dependsOn, conditionName(d.required), statusName(d.currentStatus), String(d.satisfied)]);
    text += rows.length === 0 ? "No dependencies found\n" : columnTable(STATUS_HEADER, rows, columns);
    // A unit run by `run` or `up`: its process after the dependency table (never for a coder script).
    if (unit.process) text += `\nProcess: ${processLine(unit.process)}\n`;
    io.stdout.write(text);
    io.stderr.write(extras(unit));
  });
}
