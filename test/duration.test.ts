// Durations as scripts write them (--timeout, UNITSYNC_NOTICE_AFTER) and as unitsync prints them.
import test from "ava";
import { formatDuration, parseDuration } from "../src/cli/duration.js";

test("parseDuration reads script-style durations; a bare number is seconds; 0 is no limit", (t) => {
  const cases: [string | number, number][] = [
    ["5m", 300_000],
    ["30s", 30_000],
    ["1h30m", 5_400_000],
    ["250ms", 250],
    ["1.5s", 1_500],
    ["2m30s", 150_000],
    ["0", 0],
    [0, 0],
    ["12", 12_000],
  ];
  for (const [text, ms] of cases) t.is(parseDuration(text, "--timeout"), ms, String(text));
});

test("parseDuration refuses anything else with a usage error naming the flag", (t) => {
  for (const text of ["abc", "5x", "m5", "5m junk", "", "-1s"]) {
    const error = t.throws(() => parseDuration(text, "--timeout"), undefined, text);
    t.regex(error!.message, /^--timeout: invalid duration/);
    t.is((error as Error & { exitCode: number }).exitCode, 2);
  }
});

test("formatDuration never prints 60 seconds or 60.0s; it rounds once, then splits into minutes", (t) => {
  const cases: [number, string][] = [
    [0, "0ms"],
    [999, "999ms"],
    [1_000, "1.00s"],
    [9_994, "9.99s"],
    [10_000, "10.0s"],
    [59_940, "59.9s"],
    [59_990, "1m0s"],
    [60_000, "1m0s"],
    [119_700, "2m0s"],
    [125_400, "2m5s"],
  ];
  for (const [ms, text] of cases) t.is(formatDuration(ms), text, String(ms));
});
