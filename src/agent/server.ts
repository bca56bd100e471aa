// The agent: a grpc-js server fed by our own Unix-socket listener (so the agent owns the socket
// file and counts connections), and a shutdown that ends every wait and stream before closing.
import { setMaxListeners } from "node:events";
import { createServer, type Socket } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { ShuttingDown } from "../core/errors.js";
import { Processes } from "../core/processes.js";
import { LockTable } from "../core/locks.js";
import { type Limits, Registry } from "../core/registry.js";
import { serviceDefinition } from "../rpc/service.js";
import { UnitSyncService } from "../../gen/unitsync/v1/unitsync_pb.js";
import { type AgentContext, startedSent } from "./agent-calls.js";
import { createHandlers } from "./handlers.js";
import { listenReplacing, prepareSocketPath, removeSocketFile, resolveGroup, SocketFileError } from "./socket-file.js";
import { addStandardServices } from "./standard-services.js";
import { tracesWanted } from "./telemetry-env.js";
import { DEFAULT_MAX_STREAM_BYTES, withStreamBudget } from "./stream-budget.js";
import type { BootIdentity } from "./boot-identity.js";
import { Journal, ReplayClock } from "./journal.js";
import { JournalFileError } from "./journal-file.js";
import { withJournal } from "./journal-handlers.js";
import { withStartResume } from "./start-resume.js";
import { DEFAULT_LOCK_GRACE_MS, type LockGrace, restoreLeases } from "./lock-grace.js";
import { type HeldLease, lockRecord } from "./journal-ops.js";
import { Outbox } from "./outbox.js";

export { collectStartupGarbage } from "./startup-garbage.js";

export interface AgentOptions {
  socketPath: string;
  version: string;
  limits?: Partial<Limits>;
  /** Largest request the agent reads, in bytes; a larger one is refused with RESOURCE_EXHAUSTED. */
  maxMessageBytes?: number;
  /** Open Start and Watch streams at once; one more is refused with RESOURCE_EXHAUSTED. */
  maxStreams?: number;
  /**
   * The journal file (journal.ts); undefined: no journal. `unitsync agent` puts it beside the
   * socket unless --no-journal.
   */
  journal?: string;
  /** Which boot and container session this is (default: read from /proc); for tests. */
  journalIdentity?: BootIdentity;
  /** Start empty on purpose: the journal's records are dropped, not replayed (`agent --fresh`). */
  fresh?: boolean;
  /** Compact the journal once it is this large (and twice its size after the last compaction). */
  journalCompactBytes?: number;
  /** How long a lock lease held when the agent died stays reserved for its holder after replay (lock-grace.ts). */
  lockGraceMs?: number;
  /** Share the socket with this group (a name or a gid): socket 0660, a directory it creates 0750. */
  socketGroup?: string;
  /** Bytes a stream may have waiting for a client that does not read, before it is ended (stream-budget.ts). */
  maxStreamBytes?: number;
  /**
   * How often the agent pings each connection, and how long it waits for the answer before it
   * closes the connection. This is what frees connections that sent a malformed frame (Node's
   * HTTP/2 answers GOAWAY but leaves the socket open) or that stopped reading.
   */
  keepaliveMs?: number;
  keepaliveTimeoutMs?: number;
  /** How long open calls may take to finish after shutdown began, before they are cut. */
  graceMs?: number;
  log?: (line: string) => void;
  /** The environment whose OTEL_* variables turn on trace export (OpenTelemetry loads only then). */
  telemetryEnv?: Record<string, string | undefined>;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;
export const DEFAULT_MAX_STREAMS = 20_000;
/** Server-stream writes and statuses per event-loop turn (see outbox.ts). */
const STREAM_OPS_PER_TURN = 256;
export const DEFAULT_KEEPALIVE_MS = 60_000;
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 20_000;

export interface Agent {
  readonly socketPath: string;
  readonly registry: Registry;
  readonly context: AgentContext;
  /** Ends waits (UNAVAILABLE) and streams, stops listening, removes the socket; keeps the journal. Idempotent. */
  close(): Promise<void>;
  /** Resolves once the agent has closed. */
  readonly closed: Promise<void>;
}

export async function startAgent(options: AgentOptions): Promise<Agent> {
  const log = options.log ?? (() => {});
  const gid = options.socketGroup === undefined ? undefined : resolveGroup(options.socketGroup);
  await prepareSocketPath(options.socketPath, gid);

  const clock = new ReplayClock();
  const registry = new Registry({
    clock,
    limits: options.limits ?? {},
    onListenerError: (error) => log(`watch listener failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
  });
  // Lock events join the unit events in the one log, so watch and timeline see them in order.
  let journal: Journal | undefined;
  const locks: LockTable = new LockTable({
    onEvent: (event) => {
      // Grants and releases go to the journal before the holder hears of them. The leases the
      // shutdown ends (byStop) are not released in the journal: they come back reserved for their
      // holders when the agent is started again (an upgrade, a restart). A release its holder
      // asked for is journalled even while the agent stops.
      const entry = journal && !event.byStop ? lockRecord(event, (name) => locks.capacityOf(name)) : undefined;
      if (entry) {
        try {
          journal!.append(entry);
        } catch (error) {
          log(`journal: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      registry.record({
        unit: event.unit,
        kind: event.kind,
        reason: event.reason,
        // lock names hold no control characters, so a newline separates them
        detail: { locks: event.locks.join("\n"), leaseId: event.leaseId, holder: event.holder, releasedBy: event.releasedBy },
      });
    },
  });
  const shutdown = new AbortController();
  // Every open stream (waits, watches, lock leases) listens for shutdown: thousands, not a leak.
  setMaxListeners(0, shutdown.signal);
  const sockets = new Set<Socket>();
  const context: AgentContext = {
    registry,
    processes: new Processes({ textLength: registry.limits.reasonLength }),
    locks,
    version: options.version,
    startedAt: Date.now(),
    shutdown: shutdown.signal,
    streams: 0,
    maxStreams: options.maxStreams ?? DEFAULT_MAX_STREAMS,
    outbox: new Outbox(STREAM_OPS_PER_TURN, (error) => context.logError(error)),
    startedSent: 0,
    connections: () => sockets.size,
    logError: (error) => log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
  };

  // Replayed before the socket exists, so the first call already sees the replayed graph.
  const created = createHandlers(context);
  const target = { registry, startedBy: new Map<string, string>(), handlers: created as unknown as Record<string, unknown>, leases: new Map<string, HeldLease>() };
  if (options.journal !== undefined) {
    try {
      journal = Journal.open(
        {
          path: options.journal,
          log,
          ...(options.journalIdentity ? { identity: options.journalIdentity } : {}),
          ...(options.journalCompactBytes ? { compactBytes: options.journalCompactBytes } : {}),
          ...(options.fresh ? { fresh: true } : {}),
        },
        target,
        clock,
      );
    } catch (error) {
      if (error instanceof JournalFileError) throw new SocketFileError(`journal: ${error.message}`);
      throw error;
    }
  }
  context.journal = journal?.stats;
  const grace: LockGrace | undefined =
    target.leases.size > 0 ? restoreLeases(locks, target.leases, options.lockGraceMs ?? DEFAULT_LOCK_GRACE_MS, log) : undefined;

  const server = new grpc.Server({
    "grpc.max_receive_message_length": options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    "grpc.keepalive_time_ms": options.keepaliveMs ?? DEFAULT_KEEPALIVE_MS,
    "grpc.keepalive_timeout_ms": options.keepaliveTimeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS,
  });
  const plain = withStartResume(created, registry, target.startedBy, () => startedSent(context));
  const handlers = journal ? withJournal(plain, journal, target, clock, context.logError) : plain;
  const budgeted = withStreamBudget(UnitSyncService, handlers, options.maxStreamBytes ?? DEFAULT_MAX_STREAM_BYTES, context.outbox, context.logError, log);
  server.addService(serviceDefinition(UnitSyncService), budgeted);
  const standard = addStandardServices(server);
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const listener = createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    injector.injectConnection(socket);
  });
  // Trace export, loaded only when an OTLP endpoint is configured, and before the socket answers:
  // once a client reaches the agent it is fully started (its signal handlers follow at once).
  let telemetry: { close(): Promise<void> } | undefined;
  if (options.telemetryEnv && tracesWanted(options.telemetryEnv)) {
    try {
      telemetry = await (await import("./telemetry.js")).startTelemetry({ registry, processes: context.processes, log });
    } catch (error) {
      log(`trace export is off: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  try {
    await listenReplacing(listener, options.socketPath, gid);
  } catch (error) {
    grace?.clear();
    await telemetry?.close();
    throw error;
  }
  // An accept that fails (EMFILE, say) is logged; it must not crash the agent everyone waits on.
  listener.on("error", (error) => log(`listener error: ${error.message}`));
  log(`serving on ${options.socketPath} (pid ${process.pid}, version ${options.version})${gid === undefined ? "" : `, shared with group ${options.socketGroup} (gid ${gid})`}`);

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const stopping = new ShuttingDown();
      locks.stop(stopping); // the leases the shutdown ends (with this reason) pass to nobody
      grace?.clear();
      standard.notServing(); // health watchers and checks on open connections see it first
      listener.close();
      removeSocketFile(options.socketPath);
      shutdown.abort(stopping); // every open Start ends UNAVAILABLE, every Watch ends
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, options.graceMs ?? 2_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      for (const socket of sockets) socket.destroy();
      await telemetry?.close();
      // The state belongs to the boot and container session, not to this process: an agent stopped
      // on purpose (an upgrade, a service restart) keeps its journal for the next one.
      journal?.close(false);
      log("stopped");
      resolveClosed();
    })());

  return { socketPath: options.socketPath, registry, context, close, closed };
}
