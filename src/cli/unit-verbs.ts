// The unary verbs: ping, want, complete, fail, list, status.
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { SHORT_DEADLINE_MS, type UnitSyncClient, deadlineIn } from "../client/client.js";
import { ExitCode } from "../client/exit-codes.js";
import { CONDITION_NAMES, conditionName, conditionToProto, statusName } from "../rpc/enums.js";
import type { Unit } from "../../gen/unitsync/v1/unitsync_pb.js";
import { formatDuration } from "./duration.js";
import { bracketList, json, outputFormat, table } from "./format.js";
import { CommandError, type Io } from "./io.js";
import { type GlobalOptions, withClient } from "./session.js";
import { processField, processLine } from "./process-text.js";

const short = () => ({ deadline: deadlineIn(SHORT_DEADLINE_MS) });

export function ping(io: Io, options: GlobalOptions & { output?: string }): Promise<number> {
  const format = outputFormat(options.output, ["text", "json"]);
  return withClient(io, options, "ping", async (client) => {
    const response = await client.ping({}, short());
    const counts = response.counts;
    if (format === "json") {
      io.stdout.write(
        json({
          status: "ok",
          version: response.version,
          protocol: response.protocol,
          pid: response.pid,
          uptime_ms: Number(response.uptimeMs),
          socket: client.socketPath,
          units: counts?.units ?? 0,
          waiters: counts?.waiters ?? 0,
          streams: counts?.streams ?? 0,
          connections: counts?.connections ?? 0,
          events: Number(counts?.events ?? 0),
          dropped_events: Number(counts?.droppedEvents ?? 0),
          locks: counts?.locks ?? 0,
          lock_holders: counts?.lockHolders ?? 0,
          lock_requests_queued: counts?.lockRequestsQueued ?? 0,
          journal_records: Number(counts?.journalRecords ?? 0),
          journal_bytes: Number(counts?.journalBytes ?? 0),
          replayed_records: Number(counts?.replayedRecords ?? 0),
        }),
      );
      return;
    }
    io.stdout.write(
      `Success\nunitsync ${response.version} (protocol ${response.protocol}) on ${client.socketPath}, ` +
        `up ${formatDuration(Number(response.uptimeMs))}, ${counts?.units ?? 0} units, ${counts?.waiters ?? 0} waiting\n`,
    );
  });
}

type Condition = (typeof CONDITION_NAMES)[number];

export function parseCondition(value: unknown): Condition {
  const condition = value === undefined ? "completed" : String(value);
  if (!(CONDITION_NAMES as readonly string[]).includes(condition)) {
    throw new CommandError(`--on ${condition}: unknown condition; use ${CONDITION_NAMES.join(", ")}`, ExitCode.usage);
  }
  return condition as Condition;
}

export async function declare(client: UnitSyncClient, unit: string, dependencies: string[], condition: Condition): Promise<Unit> {
  const response = await client.want({ unit, dependsOn: dependencies, condition: conditionToProto(condition) }, short());
  return response.unit!;
}

export function want(io: Io, unit: string, dependencies: string[], options: GlobalOptions & { on?: string }): Promise<number> {
  const condition = parseCondition(options.on);
  return withClient(io, options, `want ${unit}`, async (client) => {
    await declare(client, unit, dependencies, condition);
    const suffix = condition === "completed" ? "" : ` (on ${condition})`;
    io.stdout.write(`Unit "${unit}" declared dependencies: ${bracketList(dependencies)}${suffix}\n`);
  });
}

export function complete(io: Io, unit: string, options: GlobalOptions): Promise<number> {
  return withClient(io, options, `complete ${unit}`, async (client) => {
    await client.complete({ unit }, short());
    io.stdout.write("Success\n");
  });
}

export function fail(io: Io, unit: string, options: GlobalOptions & { reason?: string }): Promise<number> {
  return withClient(io, options, `fail ${unit}`, async (client) => {
    const response = await client.fail({ unit, reason: options.reason === undefined ? "" : String(options.reason) }, short());
    const blocked = response.blocked.length > 0 ? `; blocked dependents: ${bracketList(response.blocked)}` : "";
    io.stdout.write(`Unit "${unit}" failed${blocked}\n`);
  });
}

const statusOf = (unit: Unit) => statusName(unit.status);

/** A unit as `list -o json` and `watch -o json` show it, with coder exp sync's field names. */
export const unitJson = (u: Unit) => ({ unit_name: u.name, status: statusOf(u), is_ready: u.ready, ...processField(u) });

export function list(io: Io, options: GlobalOptions & { output?: string }): Promise<number> {
  const format = outputFormat(options.output);
  return withClient(io, options, "list", async (client) => {
    const { units } = await client.listUnits({}, short());
    if (format === "json") {
      io.stdout.write(json(units.map(unitJson)));
    } else if (units.length === 0) {
      io.stdout.write("No units registered\n");
    } else {
      io.stdout.write(table(["UNIT", "STATUS", "READY"], units.map((u) => [u.name, statusOf(u), String(u.ready)])));
    }
  });
}

export function blockedLine(unit: Unit): string | undefined {
  const b = unit.blocked;
  if (!b) return undefined;
  const via = b.chain.length > 2 ? ` via ${b.chain.join(" -> ")}` : "";
  return `${b.failedUnit} failed${b.reason ? `: ${b.reason}` : ""}${via}`;
}

export function status(io: Io, name: string, options: GlobalOptions & { output?: string }): Promise<number> {
  const format = outputFormat(options.output);
  return withClient(io, options, `status ${name}`, async (client) => {
    const unit = (await client.getUnit({ unit: name }, short())).unit!;
    const dependencies = unit.dependencies.map((d) => ({
      depends_on: d.dependsOn,
      required_status: conditionName(d.required),
      current_status: statusName(d.currentStatus),
      is_satisfied: d.satisfied,
    }));
    if (format === "json") {
      io.stdout.write(
        json({
          unit_name: unit.name,
          status: statusOf(unit),
          is_ready: unit.ready,
          dependencies,
          attempt: unit.attempt,
          ...(unit.reason ? { reason: unit.reason } : {}),
          ...(unit.blocked
            ? { blocked_by: { unit: unit.blocked.failedUnit, reason: unit.blocked.reason, chain: unit.blocked.chain } }
            : {}),
          ...processField(unit),
          ...(unit.locksHeld.length > 0 ? { locks_held: unit.locksHeld } : {}),
          ...(unit.locksWaiting.length > 0 ? { locks_waiting: unit.locksWaiting } : {}),
        }),
      );
      return;
    }
    let text = `Unit: ${unit.name}\nStatus: ${statusOf(unit)}\nReady: ${unit.ready}\n`;
    if (unit.reason) text += `Reason: ${unit.reason}\n`;
    const blocked = blockedLine(unit);
    if (blocked) text += `Blocked by: ${blocked}\n`;
    if (unit.waiting) text += "Waiting: a start call is waiting for its dependencies\n";
    if (unit.locksHeld.length > 0) text += `Holds locks: ${unit.locksHeld.join(", ")}\n`;
    if (unit.locksWaiting.length > 0) text += `Waiting for locks: ${unit.locksWaiting.join(", ")}\n`;
    if (unit.changedAt) text += `Since: ${new Date(timestampMs(unit.changedAt)).toISOString()}\n`;
    text += "\nDependencies:\n";
    text +=
      dependencies.length === 0
        ? "No dependencies found\n"
        : table(
            ["DEPENDS ON", "REQUIRED STATUS", "CURRENT STATUS", "SATISFIED"],
            dependencies.map((d) => [d.depends_on, d.required_status, d.current_status, String(d.is_satisfied)]),
          );
    // A unit run by `run` or `up`: its process after the dependency table, which stays as coder's.
    if (unit.process) text += `\nProcess: ${processLine(unit.process)}\n`;
    io.stdout.write(text);
  });
}
