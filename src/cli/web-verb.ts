// `web`: serve the read-only live page of start-up until SIGINT or SIGTERM, then exit 0.
import { ExitCode } from "../client/exit-codes.js";
import { CommandError, type Io } from "./io.js";
import { type GlobalOptions, socketPathFor } from "./session.js";

export interface WebFlags extends GlobalOptions {
  listen?: unknown;
  public?: boolean;
  allowHost?: unknown;
}

/** The --allow-host names, lower case; refuses what cannot be a host name or pattern. */
function allowedHosts(value: unknown): string[] {
  const names = (value === undefined ? [] : Array.isArray(value) ? value : [value]).map((name) => String(name).toLowerCase());
  for (const name of names) {
    if (!/^(\*|(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?)$/.test(name)) {
      throw new CommandError(`web: --allow-host ${name}: expected a host name, *.domain or *`, ExitCode.usage);
    }
  }
  return names;
}

export async function web(io: Io, options: WebFlags): Promise<number> {
  const { DEFAULT_LISTEN, parseListen } = await import("../web/listen.js");
  const text = options.listen === undefined ? DEFAULT_LISTEN : String(options.listen);
  const address = parseListen(text);
  if (typeof address === "string") throw new CommandError(`web: --listen ${text}: ${address}`, ExitCode.usage);
  if (!address.loopback && !options.public) {
    throw new CommandError(
      `web: --listen ${text}: not a loopback address, and the page shows every unit and failure reason to whoever reaches it; add --public to serve it there`,
      ExitCode.usage,
    );
  }
  const allowHosts = allowedHosts(options.allowHost);
  const socketPath = socketPathFor(io, options);
  const { startWebServer } = await import("../web/server.js");
  const log = (line: string) => io.stderr.write(`unitsync web: ${line}\n`);
  let server;
  try {
    server = await startWebServer({ socketPath, host: address.host, port: address.port, allowHosts, log });
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new CommandError(`web: cannot listen on ${text}: ${why}`, ExitCode.failed);
  }
  io.stdout.write(`${server.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`${signal} received, stopping`);
      resolve();
    };
    // The handlers stay: a second signal during shutdown must not turn a clean exit into 130/143.
    for (const signal of ["SIGINT", "SIGTERM"]) io.signals.on(signal, () => stop(signal));
  });
  await server.close();
  return ExitCode.ok;
}
