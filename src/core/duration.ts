// Durations as people write them: "5m", "30s", "1h30m", "250ms", "1.5s", "0" (no limit).

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;

/** What a duration looks like, for messages. */
export const DURATION_FORMS = "use forms like 30s, 5m, 1h30m or 0 for no limit";

/** Milliseconds for a duration (a bare number is seconds), or undefined if it is not one. */
export function durationMs(text: string | number): number | undefined {
  const value = String(text).trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1_000);
  let total = 0;
  PART.lastIndex = 0;
  let consumed = 0;
  for (let match = PART.exec(value); match; match = PART.exec(value)) {
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    consumed = PART.lastIndex;
  }
  if (consumed === 0 || consumed !== value.length) return undefined;
  return Math.round(total);
}
