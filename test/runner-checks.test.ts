// The pure parts of the runner: readiness check syntax, the poll and retry delays, durations in reasons.
import test from "ava";
import { formatLimit } from "../src/runner/duration.js";
import { parseCheck } from "../src/runner/readiness/parse-check.js";
import { pollDelay } from "../src/runner/readiness/poll.js";
import { retryDelay } from "../src/runner/retry-delay.js";

test("tcp checks take a port, a host and port, or a bracketed IPv6 address", (t) => {
  t.like(parseCheck("tcp:8080"), { kind: "tcp", host: "localhost", port: 8080 });
  t.like(parseCheck("tcp:db.local:5432"), { kind: "tcp", host: "db.local", port: 5432 });
  t.like(parseCheck("tcp:[::1]:80"), { kind: "tcp", host: "::1", port: 80 });
  for (const bad of ["tcp:0", "tcp:65536", "tcp:x", "tcp::80", "tcp:"]) t.throws(() => parseCheck(bad), undefined, bad);
});

test("http and https checks are URLs; log is a regular expression; exec and file keep the rest as written", (t) => {
  t.is((parseCheck("http://localhost:8080/healthz") as { url: URL }).url.pathname, "/healthz");
  t.like(parseCheck("https://127.0.0.1:8443/"), { kind: "http" });
  t.true((parseCheck("log:^ready: \\d+") as { pattern: RegExp }).pattern.test("ready: 12"));
  t.like(parseCheck("exec:pg_isready -h localhost"), { kind: "exec", command: "pg_isready -h localhost" });
  t.like(parseCheck("file:/tmp/a:b"), { kind: "file", path: "/tmp/a:b" });
  t.like(parseCheck("notify"), { kind: "notify" });
  for (const bad of ["http://", "log:[", "notify:x", "exec:", "file:", "ready", ""]) t.throws(() => parseCheck(bad), undefined, bad);
});

test("polling starts at once, then waits 50 ms, doubling up to 1 s", (t) => {
  t.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 20].map(pollDelay), [0, 50, 100, 200, 400, 800, 1000, 1000, 1000]);
});

test("the retry delay doubles after each failure and is capped at 30 s", (t) => {
  t.deepEqual([1, 2, 3, 4, 10].map((n) => retryDelay(1_000, n)), [1_000, 2_000, 4_000, 8_000, 30_000]);
  t.is(retryDelay(60_000, 1), 30_000);
});

test("limits in reasons read as written", (t) => {
  t.deepEqual([200, 1_000, 90_000, 120_000, 3_600_000, 0].map(formatLimit), ["200ms", "1s", "1m30s", "2m", "1h", "0s"]);
});
