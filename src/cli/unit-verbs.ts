// The unary verbs: ping, want, complete, fail (list and status: list-status-verbs.ts).
import { SHORT_DEADLINE_MS, type UnitSyncClient, deadlineIn } from "../client/client.js";
import { timestampMs } from "../rpc/timestamps.js";
import { ExitCode } from "../client/exit-codes.js";
import { CONDITION_NAMES, conditionToProto, statusName } from "../rpc/enums.js";
import type { Unit } from "../../gen/unitsync/v1/unitsync_pb.js";
import { goQuote } from "../view/coder-format.js";
import { bracketList, json, outputFormat } from "./format.js";
import { CommandError, type Io } from "./io.js";
import { type GlobalOptions, withClient } from "./session.js";
import { processField } from "./process-text.js";

/** Coder's JSON spells "not registered" as "". */
export const coderStatus = (status: string) => (status === "not registered" ? "" : status);

export const short = () => ({ deadline: deadlineIn(SHORT_DEADLINE_MS) });

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
          started_sent: Number(counts?.startedSent ?? 0),
          last_started_sent_at: counts?.lastStartedSentAt ? new Date(timestampMs(counts.lastStartedSentAt)).toISOString() : null,
        }),
      );
      return;
    }
    // As coder exp sync: "Success" only; the details are in -o json.
    io.stdout.write("Success\n");
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
    // --on is unitsync's own (coder has no conditions), so its suffix changes no coder output.
    const suffix = condition === "completed" ? "" : ` (on ${condition})`;
    io.stdout.write(`Unit ${goQuote(unit)} declared dependencies: ${bracketList(dependencies)}${suffix}\n`);
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
    io.stdout.write(`Unit ${goQuote(unit)} failed${blocked}\n`);
  });
}

/** A unit as `list -o json` and `watch -o json` show it, with coder exp sync's field names. */
export const unitJson = (u: Unit) => ({ unit_name: u.name, status: statusName(u.status), is_ready: u.ready, ...processField(u) });
