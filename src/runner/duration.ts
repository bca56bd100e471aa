// Durations for people: "250ms", "1.50s", "12.0s", "2m0s"; shared by the runner's messages and the verbs.

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 10_000) return `${(ms / 1_000).toFixed(2)}s`;
  if (ms < 59_950) return `${(ms / 1_000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1_000); // round once, then split: never "1m60s"
  return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}

/**
 * A duration as the user wrote it, for failure reasons ("timed out after 1s", "not ready after
 * 2m"): whole hours, minutes, seconds or milliseconds, combined as needed ("1m30s").
 */
export function formatLimit(ms: number): string {
  if (ms > 0 && ms < 1_000) return `${ms}ms`;
  let rest = Math.round(ms);
  let text = "";
  for (const [unit, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1_000], ["ms", 1]] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return text || "0s";
}
