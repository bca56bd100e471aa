// What a command may touch of its process: output streams, environment and signals. Tests pass
// their own; the bin passes the real process.
import type { EventEmitter } from "node:events";

export interface Output {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: Output;
  stderr: Output;
  env: Record<string, string | undefined>;
  /** Emits "SIGINT", "SIGTERM" and "SIGHUP"; the real process in the bin. */
  signals: EventEmitter;
  /** The command that runs this same unitsync (`up` puts it on the scripts' PATH). */
  self?: readonly string[];
}

/** A failure that ends a command with `exitCode` after printing `unitsync: <message>`. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function printError(io: Io, message: string): void {
  io.stderr.write(`unitsync: ${message.replace(/\s*\n\s*/g, " ")}\n`);
}
