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

export { formatDuration, formatLimit } from "../runner/duration.js";
