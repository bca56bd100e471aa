// `unitsync agent`: serve in the foreground until SIGINT, SIGTERM or SIGHUP, then shut down and exit 0.
import { ExitCode } from "../client/exit-codes.js";
import { VERSION } from "../version.js";
import { SocketFileError } from "../agent/socket-file.js";
import { type AgentOptions, collectStartupGarbage, startAgent } from "../agent/server.js";
import { CommandError, type Io, printError } from "./io.js";

type Limits = NonNullable<AgentOptions["limits"]>;
import { type GlobalOptions, socketPathFor } from "./session.js";
import { parseDuration } from "./duration.js";

export interface AgentFlags extends GlobalOptions {
  maxUnits?: unknown;
  maxDependencies?: unknown;
  maxMessageBytes?: unknown;
  maxStreams?: unknown;
  maxReason?: unknown;
  maxEvents?: unknown;
  maxName?: unknown;
  maxEventBytes?: unknown;
  maxStreamBytes?: unknown;
  socketGroup?: unknown;
  /** A path, false for --no-journal, true or undefined for the default beside the socket. */
  journal?: unknown;
  /** --lock-grace: how long a lock held when the agent died stays reserved for its holder. */
  lockGrace?: string | number;
  stopWithStdin?: boolean;
  /** --fresh: drop the journal's state instead of replaying it. */
  fresh?: boolean;
}

/** The journal beside the socket (same private directory): `<socket>.journal`. */
export function defaultJournalPath(socketPath: string): string {
  return `${socketPath}.journal`;
}

/** A limit flag's value: a whole number ≥ 1, or undefined when the flag is absent. */
function limitFlag(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new CommandError(`--${flag} ${text}: expected a whole number of at least 1`, ExitCode.usage);
  }
  return n;
}

/** The agent's limits from its flags; unset flags keep the defaults. */
export function limitOptions(flags: AgentFlags): Pick<AgentOptions, "limits" | "maxMessageBytes" | "maxStreams" | "maxStreamBytes"> {
  const limits: Partial<Limits> = {};
  const set = <K extends keyof Limits>(key: K, value: number | undefined) => {
    if (value !== undefined) limits[key] = value;
  };
  set("units", limitFlag(flags.maxUnits, "max-units"));
  set("dependenciesPerUnit", limitFlag(flags.maxDependencies, "max-dependencies"));
  set("reasonLength", limitFlag(flags.maxReason, "max-reason"));
  set("events", limitFlag(flags.maxEvents, "max-events"));
  set("eventBytes", limitFlag(flags.maxEventBytes, "max-event-bytes"));
  set("nameLength", limitFlag(flags.maxName, "max-name"));
  const maxMessageBytes = limitFlag(flags.maxMessageBytes, "max-message-bytes");
  const maxStreams = limitFlag(flags.maxStreams, "max-streams");
  const maxStreamBytes = limitFlag(flags.maxStreamBytes, "max-stream-bytes");
  return {
    limits,
    ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {}),
    ...(maxStreams !== undefined ? { maxStreams } : {}),
    ...(maxStreamBytes !== undefined ? { maxStreamBytes } : {}),
  };
}

export async function agent(io: Io, options: AgentFlags): Promise<number> {
  const socketPath = socketPathFor(io, options);
  const limits = limitOptions(options);
  const log = (line: string) => io.stderr.write(`unitsync agent: ${line}\n`);
  let running;
  try {
    const socketGroup = options.socketGroup === undefined ? {} : { socketGroup: String(options.socketGroup) };
    const journal =
      options.journal === false ? {} : { journal: typeof options.journal === "string" ? options.journal : defaultJournalPath(socketPath) };
    const fresh = options.fresh === true ? { fresh: true } : {};
    const lockGrace = options.lockGrace === undefined ? {} : { lockGraceMs: parseDuration(options.lockGrace, "--lock-grace") };
    running = await startAgent({ socketPath, version: VERSION, log, ...limits, ...socketGroup, ...journal, ...fresh, ...lockGrace, telemetryEnv: io.env });
  } catch (error) {
    if (error instanceof SocketFileError) {
      printError(io, `agent: ${error.message}`);
      return ExitCode.failed;
    }
    throw error;
  }
  // The idle agent keeps only what it uses (agent_idle_rss_mb in bench/).
  collectStartupGarbage();
  const stop = (signal: string) => {
    log(`${signal} received, shutting down`);
    void running.close();
  };
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  const handlers = signals.map((signal) => [signal, () => stop(signal)] as const);
  // The handlers stay until the process exits: a second signal arriving after the shutdown must
  // not fall through to the default action and turn a clean exit into 143.
  for (const [signal, handler] of handlers) io.signals.on(signal, handler);
  // A supervising parent holds the other end of our stdin: when it dies, even by SIGKILL, the
  // pipe closes and the agent it started does not outlive it.
  const parentGone = () => stop("standard input closed (the supervising parent is gone)");
  if (options.stopWithStdin) {
    process.stdin.once("end", parentGone).once("error", parentGone).resume();
  }
  await running.closed;
  if (options.stopWithStdin) process.stdin.off("end", parentGone).off("error", parentGone).destroy();
  return ExitCode.ok;
}
