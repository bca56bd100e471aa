// The agent: a grpc-js server fed by our own Unix-socket listener (so the agent owns the socket
// file and counts connections), and a shutdown that ends every wait and stream before closing.
import { createServer, type Socket } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { ShuttingDown } from "../core/errors.js";
import { Processes } from "../core/processes.js";
import { type Limits, Registry } from "../core/registry.js";
import { serviceDefinition } from "../rpc/service.js";
import { UnitSyncService } from "../../gen/unitsync/v1/unitsync_pb.js";
import { type AgentContext, createHandlers } from "./handlers.js";
import { listenPrivately, prepareSocketPath, removeSocketFile } from "./socket-file.js";
import { addStandardServices } from "./standard-services.js";

export interface AgentOptions {
  socketPath: string;
  version: string;
  limits?: Partial<Limits>;
  /** Largest request the agent reads, in bytes; a larger one is refused with RESOURCE_EXHAUSTED. */
  maxMessageBytes?: number;
  /** Open Start and Watch streams at once; one more is refused with RESOURCE_EXHAUSTED. */
  maxStreams?: number;
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
}

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;
export const DEFAULT_MAX_STREAMS = 20_000;
export const DEFAULT_KEEPALIVE_MS = 60_000;
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 20_000;

export interface Agent {
  readonly socketPath: string;
  readonly registry: Registry;
  readonly context: AgentContext;
  /** Ends waits (UNAVAILABLE) and streams, stops listening, removes the socket. Idempotent. */
  close(): Promise<void>;
  /** Resolves once the agent has closed. */
  readonly closed: Promise<void>;
}

export async function startAgent(options: AgentOptions): Promise<Agent> {
  const log = options.log ?? (() => {});
  await prepareSocketPath(options.socketPath);

  const registry = new Registry({
    limits: options.limits ?? {},
    onListenerError: (error) => log(`watch listener failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
  });
  const shutdown = new AbortController();
  const sockets = new Set<Socket>();
  const context: AgentContext = {
    registry,
    processes: new Processes({ textLength: registry.limits.reasonLength }),
    version: options.version,
    startedAt: Date.now(),
    shutdown: shutdown.signal,
    streams: 0,
    maxStreams: options.maxStreams ?? DEFAULT_MAX_STREAMS,
    connections: () => sockets.size,
    logError: (error) => log(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
  };

  const server = new grpc.Server({
    "grpc.max_receive_message_length": options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    "grpc.keepalive_time_ms": options.keepaliveMs ?? DEFAULT_KEEPALIVE_MS,
    "grpc.keepalive_timeout_ms": options.keepaliveTimeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS,
  });
  server.addService(serviceDefinition(UnitSyncService), createHandlers(context));
  const standard = addStandardServices(server);
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const listener = createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    injector.injectConnection(socket);
  });
  await listenPrivately(listener, options.socketPath);
  // An accept that fails (EMFILE, say) is logged; it must not crash the agent everyone waits on.
  listener.on("error", (error) => log(`listener error: ${error.message}`));
  log(`serving on ${options.socketPath} (pid ${process.pid}, version ${options.version})`);

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      standard.notServing(); // health watchers and checks on open connections see it first
      listener.close();
      removeSocketFile(options.socketPath);
      shutdown.abort(new ShuttingDown()); // every open Start ends UNAVAILABLE, every Watch ends
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
      log("stopped");
      resolveClosed();
    })());

  return { socketPath: options.socketPath, registry, context, close, closed };
}
