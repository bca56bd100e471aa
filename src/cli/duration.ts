// Durations as scripts write them: "5m", "30s", "1h30m", "250ms", "1.5s", "0" (no limit).
import { ExitCode } from "../client/exit-codes.js";
import { DURATION_FORMS, durationMs } from "../core/duration.js";
import { CommandError } from "./io.js";

/** Milliseconds for a duration; a bare number is seconds. Throws a usage error otherwise. */
export function parseDuration(text: string | number, flag: string): number {
  const ms = durationMs(text);
  if (ms === undefined) throw new CommandError(`${flag}: invalid duration "${String(text).trim()}"; ${DURATION_FORMS}`, ExitCode.usage);
  return ms;
}

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 10_000) return `${(ms / 1_000).toFixed(2)}s`;
  if (ms < 59_950) return `${(ms / 1_000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1_000); // round once, then split: never "1m60s"
  return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}
