// Runs one verb against the agent: resolve the socket, connect, call, and turn any failure into
// one stderr line and an exit code.
import { type UnitSyncClient, connect } from "../client/client.js";
import { describeFailure } from "../client/errors.js";
import { ExitCode } from "../client/exit-codes.js";
import { resolveSocketPath, socketPathProblem } from "../rpc/socket-path.js";
import { CommandError, type Io, printError } from "./io.js";

export interface GlobalOptions {
  socket?: string;
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
  const client = connect(socketPath, ownerOption(io));
  try {
    return (await body(client)) ?? ExitCode.ok;
  } catch (error) {
    if (error instanceof CommandError) {
      printError(io, `${what}: ${error.message}`);
      return error.exitCode;
    }
    const failure = describeFailure(error, socketPath);
    printError(io, `${what}: ${failure.message}`);
    return failure.exitCode;
  } finally {
    client.close();
  }
}
