// `unitsync agent`: serve in the foreground until SIGINT/SIGTERM, then shut down and exit 0.
import { ExitCode } from "../client/exit-codes.js";
import { VERSION } from "../version.js";
import { SocketFileError } from "../agent/socket-file.js";
import { startAgent } from "../agent/server.js";
import { type Io, printError } from "./io.js";
import { type GlobalOptions, socketPathFor } from "./session.js";

export async function agent(io: Io, options: GlobalOptions): Promise<number> {
  const socketPath = socketPathFor(io, options);
  const log = (line: string) => io.stderr.write(`unitsync agent: ${line}\n`);
  let running;
  try {
    running = await startAgent({ socketPath, version: VERSION, log });
  } catch (error) {
    if (error instanceof SocketFileError) {
      printError(io, `agent: ${error.message}`);
      return ExitCode.failed;
    }
    throw error;
  }
  const stop = (signal: string) => {
    log(`${signal} received, shutting down`);
    void running.close();
  };
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  const handlers = signals.map((signal) => [signal, () => stop(signal)] as const);
  for (const [signal, handler] of handlers) io.signals.on(signal, handler);
  await running.closed;
  for (const [signal, handler] of handlers) io.signals.off(signal, handler);
  return ExitCode.ok;
}
