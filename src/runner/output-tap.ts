// The command's stdout and stderr through unitsync, for log: checks: every chunk goes on to its
// destination at once and unchanged, and each complete line is offered to the listeners.
import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { writeSync } from "node:fs";

/** Where the output goes: this process's own stdout and stderr, or one file descriptor for both. */
export type OutputDestination = "inherit" | { fd: number };

export type LineListener = (line: string) => void;

/** Longest line kept for matching; a longer one is matched on its first this many characters. */
const MAX_LINE = 64 * 1024;

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes the whole chunk before returning, so nothing is pending when the caller closes `fd` (a
 * log file, normally). A full non-blocking pipe (EAGAIN) is waited out 5 ms at a time, not spun on.
 */
function writeAll(fd: number, chunk: Buffer): void {
  for (let offset = 0; offset < chunk.length; ) {
    try {
      offset += writeSync(fd, chunk, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EAGAIN") return; // the reader is gone: drop, as a closed pipe would
      Atomics.wait(pause, 0, 0, 5);
    }
  }
}

export class OutputTap {
  private readonly listeners = new Set<LineListener>();
  private open = 0;
  private resolveClosed!: () => void;
  /** Settles once both streams have ended. */
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));
  private readonly sources: Readable[] = [];

  constructor(streams: { stdout: Readable | null; stderr: Readable | null }, destination: OutputDestination) {
    const pairs: [Readable | null, NodeJS.WriteStream][] = [
      [streams.stdout, process.stdout],
      [streams.stderr, process.stderr],
    ];
    for (const [source, own] of pairs) {
      if (!source) continue;
      this.open++;
      this.sources.push(source);
      const decoder = new StringDecoder("utf8");
      let partial = "";
      source.on("data", (chunk: Buffer) => {
        if (destination === "inherit") {
          // Our own stdout/stderr keep order with anything else we print; pause while it drains.
          if (!own.write(chunk)) {
            source.pause();
            own.once("drain", () => source.resume());
          }
        } else {
          writeAll(destination.fd, chunk);
        }
        if (this.listeners.size === 0) return;
        const lines = (partial + decoder.write(chunk)).split("\n");
        partial = lines.pop()!.slice(0, MAX_LINE);
        for (const line of lines) this.offer(line);
      });
      source.once("close", () => {
        const rest = partial + decoder.end();
        if (rest) this.offer(rest);
        if (--this.open === 0) this.resolveClosed();
      });
    }
    if (this.open === 0) this.resolveClosed();
  }

  /** Calls `listener` with every complete line from now on (without its "\n" or "\r\n"). */
  onLine(listener: LineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops reading: what processes of the group still write after this is lost, as with a closed pipe. */
  detach(): void {
    for (const source of this.sources) source.destroy();
  }

  private offer(line: string): void {
    const text = (line.endsWith("\r") ? line.slice(0, -1) : line).slice(0, MAX_LINE);
    for (const listener of this.listeners) listener(text);
  }
}
