// The read-only live page server (node:http): one Watch stream to the agent feeds every browser
// through server-sent events; only GET and HEAD are served, and closing leaves no stream or timer.
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type UnitSyncClient, SHORT_DEADLINE_MS, connect, deadlineIn } from "../client/client.js";
import { ganttModel } from "../view/gantt-model.js";
import { type LiveState, PAGE_CSS, PAGE_HTML, PAGE_JS, liveState } from "../view/live-page.js";

export interface WebOptions {
  socketPath: string;
  host: string;
  port: number;
  /** On loopback, Host names answered besides loopback ones: "name", "*.domain" or "*" (any). */
  allowHosts?: readonly string[];
  log?: (line: string) => void;
  /** Seconds between SSE keep-alive comments (proxies close idle streams). */
  keepAliveMs?: number;
}

export interface WebServer {
  readonly url: string;
  /** Browsers connected to /events now. */
  readonly clients: number;
  /** Ends every event stream, the Watch stream and the server. Idempotent. */
  close(): Promise<void>;
}

const SECURITY_HEADERS = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
};

/** Bytes queued for one event stream beyond which its page is dropped. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** Loopback addresses: a server bound to one answers only requests that name loopback too. */
const isLoopback = (host: string) => host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);

/** The host part of a Host header ("[::1]:8080" → "::1"), lower case; "" when absent. */
function hostOf(header: string | undefined): string {
  const value = (header ?? "").trim().toLowerCase();
  const bracketed = /^\[([^\]]*)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1]!;
  return value.replace(/:\d+$/, "").replace(/\.$/, "");
}

/** Whether `host` is one of `allowed`: a name, "*.domain" (any name under it) or "*". */
const isAllowed = (host: string, allowed: readonly string[]) =>
  allowed.some((name) => name === "*" || name === host || (name.startsWith("*.") && host.endsWith(name.slice(1))));

const STATIC: Record<string, [string, string]> = {
  "/": ["text/html; charset=utf-8", PAGE_HTML],
  "/app.js": ["text/javascript; charset=utf-8", PAGE_JS],
  "/app.css": ["text/css; charset=utf-8", PAGE_CSS],
};

export async function startWebServer(options: WebOptions): Promise<WebServer> {
  const log = options.log ?? (() => {});
  const client: UnitSyncClient = connect(options.socketPath);
  const streams = new Set<ServerResponse>();
  const stop = new AbortController();
  let state: LiveState | undefined;
  let version = 0;
  let refreshing: Promise<void> | undefined;
  let dirty = false;
  let retry: NodeJS.Timeout | undefined;

  const broadcast = (next: LiveState) => {
    state = next;
    const frame = `event: state\ndata: ${JSON.stringify(next)}\n\n`;
    for (const response of streams) {
      // A page that stops reading is dropped rather than buffered for: it reconnects (EventSource
      // retries) and gets the latest state then.
      if (response.writableLength > MAX_BUFFERED_BYTES) {
        streams.delete(response);
        response.destroy();
        continue;
      }
      response.write(frame);
    }
  };

  const render = async () => {
    const deadline = deadlineIn(SHORT_DEADLINE_MS);
    const [timeline, list, graph] = await Promise.all([
      client.getTimeline({}, { deadline, signal: stop.signal }),
      client.listUnits({}, { deadline, signal: stop.signal }),
      client.getGraph({}, { deadline, signal: stop.signal }),
    ]);
    const model = ganttModel(timeline, {
      now: Date.now(),
      owners: new Map(list.units.map((u) => [u.name, u.owner])),
      blocked: new Set(list.units.filter((u) => u.blocked).map((u) => u.name)),
    });
    if (!stop.signal.aborted) broadcast(liveState(++version, model, list.units, graph));
  };

  /** Renders now, or once more after the render in flight: a burst of events renders at most twice. */
  const refresh = (): void => {
    if (refreshing) {
      dirty = true;
      return;
    }
    refreshing = (async () => {
      do {
        dirty = false;
        try {
          await render();
        } catch (error) {
          if (!stop.signal.aborted) log(`refresh failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      } while (dirty && !stop.signal.aborted);
      refreshing = undefined;
    })();
  };

  const disconnected = (why: string) => {
    broadcast({ ...(state ?? { table: "", graph: "", gantt: "" }), version: ++version, banner: { kind: "disconnected", text: `The agent is unreachable (${why}); retrying` } });
  };

  /** The one Watch stream: every snapshot and event triggers a refresh; a lost agent is retried. */
  const feed = async (attempt = 0): Promise<void> => {
    try {
      for await (const _message of client.watch({}, { signal: stop.signal })) {
        attempt = 0;
        refresh();
      }
      if (!stop.signal.aborted) disconnected("the agent shut down");
    } catch (error) {
      if (stop.signal.aborted) return;
      disconnected(error instanceof Error ? error.message.replace(/^\d+ [A-Z_]+: /, "") : String(error));
    }
    if (stop.signal.aborted) return;
    retry = setTimeout(() => {
      retry = undefined;
      void feed(attempt + 1);
    }, Math.min(5_000, 250 * 2 ** attempt));
  };

  const serveEvents = (request: IncomingMessage, response: ServerResponse) => {
    response.writeHead(200, { ...SECURITY_HEADERS, "content-type": "text/event-stream; charset=utf-8", connection: "keep-alive" });
    if (request.method === "HEAD") return response.end();
    response.write("retry: 1000\n\n");
    if (state) response.write(`event: state\ndata: ${JSON.stringify(state)}\n\n`);
    streams.add(response);
    response.once("close", () => streams.delete(response));
  };

  // A page in the browser could be pointed at this port under another name (DNS rebinding): a
  // loopback server answers only requests addressed to a loopback name.
  const loopbackOnly = isLoopback(hostOf(options.host.includes(":") ? `[${options.host}]` : options.host));
  const answers = (host: string) => !loopbackOnly || isLoopback(host) || isAllowed(host, options.allowHosts ?? []);
  const server = createServer((request, response) => {
    if (!answers(hostOf(request.headers.host))) {
      response.writeHead(421, { ...SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8" });
      return response.end("421 misdirected request: this page answers only to localhost; add --allow-host for a proxy's name\n");
    }
    const path = new URL(request.url ?? "/", "http://unitsync.invalid").pathname;
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { ...SECURITY_HEADERS, allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
      return response.end("405 method not allowed: this page is read-only\n");
    }
    if (path === "/events") return serveEvents(request, response);
    const body =
      path === "/state.json" ? ["application/json", JSON.stringify(state ?? null)] : path === "/timeline.svg" && state ? ["image/svg+xml", state.gantt] : STATIC[path];
    if (!body) {
      response.writeHead(404, { ...SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8" });
      return response.end("404 not found\n");
    }
    response.writeHead(200, { ...SECURITY_HEADERS, "content-type": body[0]!, "content-length": Buffer.byteLength(body[1]!) });
    response.end(request.method === "HEAD" ? undefined : body[1]);
  });

  const keepAlive = setInterval(() => {
    for (const response of streams) response.write(": keep-alive\n\n");
  }, options.keepAliveMs ?? 15_000);
  keepAlive.unref();

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    clearInterval(keepAlive);
    client.close();
    throw error;
  }
  void feed();
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}/`;
  log(`serving ${url} for the agent on ${options.socketPath}`);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      stop.abort();
      clearInterval(keepAlive);
      if (retry) clearTimeout(retry);
      for (const response of streams) response.end();
      streams.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await refreshing;
      client.close();
    })());

  return {
    url,
    get clients() {
      return streams.size;
    },
    close,
  };
}
