// `lock NAME[,NAME…] -- cmd…`: hold locks while a command runs, for want/start/complete scripts;
// and `locks`: every lock with its capacity, holders and queue.
import { timestampMs } from "../rpc/timestamps.js";
import { SHORT_DEADLINE_MS, deadlineIn } from "../client/client.js";
import { describeFailure } from "../client/errors.js";
import { ExitCode } from "../client/exit-codes.js";
import { startAttempt } from "../runner/attempt.js";
import { type LockArg, LeaseError, acquireLease, parseLocks } from "../runner/lease.js";
import { DEFAULT_GRACE_MS } from "../runner/unit-spec.js";
import type { LockLease } from "../../gen/unitsync/v1/unitsync_pb.js";
import { DEFAULT_TIMEOUT } from "./defaults.js";
import { formatDuration, formatLimit, parseDuration } from "./duration.js";
import { json, outputFormat, table } from "./format.js";
import { CommandError, type Io, printError } from "./io.js";
import { type GlobalOptions, connectFor, reportFailure, socketPathFor, withClient } from "./session.js";

export interface LockOptions extends GlobalOptions {
  timeout?: string | number;
  unit?: string;
  "--"?: string[];
}

const FORWARDED = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const SIGNAL_NUMBER = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 } as const;

/** Locks from the command line, as a usage error when malformed. */
export function lockArgs(values: Parameters<typeof parseLocks>[0]): LockArg[] {
  try {
    return parseLocks(values);
  } catch (error) {
    if (error instanceof LeaseError) throw new CommandError(error.message, error.exitCode);
    throw error;
  }
}

export async function lock(io: Io, names: string, options: LockOptions): Promise<number> {
  const what = `lock ${names}`;
  const command = options["--"] ?? [];
  if (command.length === 0) {
    throw new CommandError(`${what}: no command given; write it after "--", as in: unitsync lock dpkg -- apt-get install -y git`, ExitCode.usage);
  }
  const locks = lockArgs(names);
  if (locks.length === 0) throw new CommandError(`${what}: no locks given; name at least one, as in: unitsync lock dpkg -- cmd`, ExitCode.usage);
  const timeoutMs = parseDuration(options.timeout ?? DEFAULT_TIMEOUT, "--timeout");
  const socketPath = socketPathFor(io, options);
  // Rides out an agent restart: a held lease is re-claimed with its lease id (runner/lease.ts).
  const client = connectFor(io, options, socketPath, what);
  const interrupt = new AbortController();
  let interrupted: (typeof FORWARDED)[number] | undefined;
  const onSignals = FORWARDED.map((signal) => [signal, () => ((interrupted ??= signal), interrupt.abort())] as const);
  for (const [signal, onSignal] of onSignals) io.signals.on(signal, onSignal);
  try {
    let lease;
    try {
      lease = await acquireLease(client, {
        locks,
        unit: options.unit ?? io.env.UNITSYNC_UNIT ?? "",
        timeoutMs,
        timeoutLabel: formatLimit(timeoutMs),
        signal: interrupt.signal,
        progress: (line) => io.stderr.write(`${line}\n`),
      });
    } catch (error) {
      if (interrupted) {
        printError(io, `${what}: interrupted by ${interrupted}`);
        return 128 + SIGNAL_NUMBER[interrupted];
      }
      return reportFailure(io, what, error, socketPath);
    } finally {
      for (const [signal, onSignal] of onSignals) io.signals.off(signal, onSignal);
    }
    let running = true;
    void lease.lost.then((reason) => {
      if (running) printError(io, `${what}: the locks were lost while the command runs: ${describeFailure(reason, socketPath).message}`);
    });
    // The command in its own process group; our signals go on to it.
    const attempt = startAttempt({
      command,
      env: { ...io.env, UNITSYNC_SOCKET: socketPath },
      stdio: "inherit",
      checks: [],
      readyTimeoutMs: 0,
      runTimeoutMs: 0,
      graceMs: DEFAULT_GRACE_MS,
    });
    const forwarders = FORWARDED.map((signal) => [signal, () => attempt.signal(signal)] as const);
    for (const [signal, forward] of forwarders) io.signals.on(signal, forward);
    try {
      const result = await attempt.result;
      if (result.end.exitCode !== 0 && /not found|cannot run/.test(result.reason)) printError(io, `${what}: ${result.reason}`);
      return result.exitCode;
    } finally {
      for (const [signal, forward] of forwarders) io.signals.off(signal, forward);
      running = false;
      lease.release(); // the moment the command exits, whatever its outcome
    }
  } finally {
    client.close();
  }
}

const since = (lease: LockLease, now: number) => {
  const at = lease.grantedAt ?? lease.requestedAt;
  return at ? formatDuration(Math.max(0, now - timestampMs(at))) : "";
};

function leaseJson(lease: LockLease) {
  return {
    holder: lease.holder,
    unit: lease.unit,
    pid: lease.pid,
    lease_id: lease.leaseId,
    requested_at: lease.requestedAt ? new Date(timestampMs(lease.requestedAt)).toISOString() : null,
    ...(lease.grantedAt ? { granted_at: new Date(timestampMs(lease.grantedAt)).toISOString() } : {}),
    ...(lease.reserved ? { reserved: true } : {}),
    locks: lease.locks,
  };
}

export function locks(io: Io, options: GlobalOptions & { output?: string }): Promise<number> {
  const format = outputFormat(options.output);
  return withClient(io, options, "locks", async (client) => {
    const response = await client.listLocks({}, { deadline: deadlineIn(SHORT_DEADLINE_MS) });
    if (format === "json") {
      io.stdout.write(
        json(response.locks.map((l) => ({ name: l.name, capacity: l.capacity, holders: l.holders.map(leaseJson), queue: l.queue.map(leaseJson) }))),
      );
      return;
    }
    const now = Date.now();
    const rows: string[][] = [];
    for (const l of response.locks) {
      const row = (state: string, lease?: LockLease) => [
        l.name,
        String(l.capacity),
        state,
        lease?.holder ?? "-",
        lease ? String(lease.pid) : "-",
        lease ? since(lease, now) : "-",
      ];
      if (l.holders.length === 0 && l.queue.length === 0) rows.push(row("free"));
      for (const h of l.holders) rows.push(row(h.reserved ? "reserved" : "held", h));
      l.queue.forEach((w, i) => rows.push(row(`queued #${i + 1}`, w)));
    }
    io.stdout.write(table(["LOCK", "CAPACITY", "STATE", "HOLDER", "PID", "SINCE"], rows));
  });
}
