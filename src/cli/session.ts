// Runs one verb against the agent: resolve the socket, connect, call, and turn any failure into
// one stderr line and an exit code.
import type { UnitSyncClient } from "../client/client.js";
import { connectReconnecting } from "../client/reconnect.js";
import { DEFAULT_RECONNECT } from "./defaults.js";
import { parseDuration } from "./duration.js";
import { describeFailure } from "../client/errors.js";
import { ExitCode } from "../client/exit-codes.js";
import { resolveSocketPath, socketPathProblem } from "../rpc/socket-path.js";
import { CommandError, type Io, printError } from "./io.js";
import { RunnerError } from "../runner/wait-to-start.js";

export interface GlobalOptions {
  socket?: string;
  /** --reconnect: a duration; 0 fails at once when the agent is gone. */
  reconnect?: string | number;
}

/**
 * A client for the agent that rides out an agent restart for up to --reconnect (see
 * client/reconnect.ts), telling stderr when it lost and found the agent again.
 */
export function connectFor(io: Io, options: GlobalOptions, socketPath: string, what: string): UnitSyncClient {
  const reconnectMs = parseDuration(options.reconnect ?? DEFAULT_RECONNECT, "--reconnect");
  return connectReconnecting(socketPath, { ...ownerOption(io), reconnectMs, notice: (line) => printError(io, `${what}: ${line}`) });
}

export function socketPathFor(io: Io, options: GlobalOptions): string {
  const path = resolveSocketPath(options.socket, io.env);
  const problem = socketPathProblem(path);
  if (problem) throw new CommandError(problem, ExitCode.usage);
  return path;
}

/** Scripts run by `unitsync up` carry UNITSYNC_OWNER, so the agent knows whose units are whose. */
export function ownerOption(io: Io): { owner?: string } {
  return io.env.UNITSYNC_OWNER ? { owner: io.env.UNITSYNC_OWNER } : {};
}

/**
 * Calls `body` with a client for the agent. `what` names the action in error lines
 * ("start ide"): `unitsync: start ide: <why>`.
 */
export async function withClient(
  io: Io,
  options: GlobalOptions,
  what: string,
  body: (client: UnitSyncClient) => Promise<number | void>,
): Promise<number> {
  const socketPath = socketPathFor(io, options);
  const client = connectFor(io, options, socketPath, what);
  try {
    return (await body(client)) ?? ExitCode.ok;
  } catch (error) {
    return reportFailure(io, what, error, socketPath);
  } finally {
    client.close();
  }
}

/**
 * One stderr line for a failed verb and its exit code: an error that carries its own exit code
 * (a usage problem, a lease timeout) as it is, anything else as the agent call's failure.
 */
export function reportFailure(io: Io, what: string, error: unknown, socketPath: string): number {
  if (error instanceof CommandError || error instanceof RunnerError) {
    printError(io, `${what}: ${error.message}`);
    return error.exitCode;
  }
  const failure = describeFailure(error, socketPath);
  printError(io, `${what}: ${failure.message}`);
  return failure.exitCode;
}
