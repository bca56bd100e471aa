// file:PATH — ready once the path exists. Watches its directory (inotify on Linux), so a file
// created later is seen at once; a slow stat poll covers what a watch cannot (a directory that
// does not exist yet, network file systems).
import { type FSWatcher, watch } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import type { ReadinessCheck } from "./check.js";
import { poll } from "./poll.js";

async function missing(path: string): Promise<string | undefined> {
  try {
    await stat(path);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" || code === "ENOTDIR" ? "no such file" : (error as Error).message;
  }
}

export function fileCheck(spec: string, path: string, cwd: string | undefined): ReadinessCheck {
  const full = resolve(cwd ?? process.cwd(), path);
  let watcher: FSWatcher | undefined;
  const unwatch = () => {
    watcher?.close();
    watcher = undefined;
  };
  return {
    spec,
    wait: async (signal, onError) => {
      const done = new AbortController();
      const stopAll = () => done.abort(signal.reason);
      signal.addEventListener("abort", stopAll, { once: true });
      let seen!: () => void;
      const seenByWatch = new Promise<void>((resolve) => (seen = resolve));
      const ensureWatch = () => {
        if (watcher) return;
        try {
          watcher = watch(dirname(full), { persistent: false }, (_event, name) => {
            if (name === null || name === basename(full)) void missing(full).then((why) => why === undefined && seen());
          });
          watcher.on("error", unwatch); // the directory went away: the poll takes over again
        } catch {
          // no directory yet: the poll looks again
        }
      };
      try {
        await Promise.race([
          poll(
            done.signal,
            async () => {
              ensureWatch(); // before the stat: a file created in between is still seen
              return missing(full);
            },
            onError,
          ),
          seenByWatch,
        ]);
      } finally {
        signal.removeEventListener("abort", stopAll);
        done.abort();
        unwatch();
      }
      signal.throwIfAborted();
    },
    close: unwatch,
  };
}
