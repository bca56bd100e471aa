// The pure parts of the runner: readiness check syntax, the poll and retry delays, durations in reasons.
import test from "ava";
import { attemptOutcome } from "../src/runner/attempt-outcome.js";
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
  t.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => pollDelay(n)), [0, 50, 100, 200, 400, 800, 1000, 1000, 1000]);
});

test("a quick check (tcp) tries every 25 ms for 2 s, then doubles from 50 ms up to 1 s", (t) => {
  t.deepEqual([1, 2, 3, 81, 82, 83, 84, 90].map((n) => pollDelay(n, true)), [0, 25, 25, 25, 50, 100, 200, 1000]);
});

test("the retry delay doubles after each failure and is capped at 30 s", (t) => {
  t.deepEqual([1, 2, 3, 4, 10].map((n) => retryDelay(1_000, n)), [1_000, 2_000, 4_000, 8_000, 30_000]);
  t.is(retryDelay(60_000, 1), 30_000);
});

test("limits in reasons read as written", (t) => {
  t.deepEqual([200, 1_000, 90_000, 120_000, 3_600_000, 0].map(formatLimit), ["200ms", "1s", "1m30s", "2m", "1h", "0s"]);
});

test("an attempt's outcome: a ready service stays ready whatever ends it; timeouts, stops and early exits fail it", (t) => {
  const end = (exitCode: number, reason: string) => ({ exitCode, reason, at: 7 });
  const facts = { end: end(143, "killed by SIGTERM"), service: true, spawned: true, timedOut: false, runTimeoutMs: 300, pendingAtEnd: "tcp:80" };
  t.like(attemptOutcome({ ...facts, readyAt: 5, timedOut: true }), { ready: true, readyAt: 5, reason: "", processReason: "timed out after 300ms", exitCode: 124 });
  t.like(attemptOutcome({ ...facts, readyAt: 5, stopReason: "up is exiting" }), { ready: true, exitCode: 143, processReason: "killed by SIGTERM" });
  t.like(attemptOutcome({ ...facts, timedOut: true }), { ready: false, reason: "timed out after 300ms", exitCode: 124 });
  t.like(attemptOutcome({ ...facts, notReady: { afterMs: 120_000, pending: "tcp:80 connection refused" } }), {
    ready: false,
    reason: "not ready after 2m: tcp:80 connection refused",
    exitCode: 4,
  });
  t.like(attemptOutcome({ ...facts, stopReason: "budget exceeded" }), { ready: false, reason: "budget exceeded", exitCode: 143 });
  t.like(attemptOutcome({ ...facts, end: end(1, "exit status 1") }), { ready: false, reason: "exited with status 1 before ready (tcp:80)", exitCode: 1 });
  t.like(attemptOutcome({ ...facts, end: end(0, "") }), { ready: false, reason: "exited with status 0 before ready (tcp:80)", exitCode: 1 });
  t.like(attemptOutcome({ ...facts, service: false, end: end(0, "") }), { ready: true, readyAt: 7, exitCode: 0 });
  t.like(attemptOutcome({ ...facts, service: false, end: end(3, "exit status 3") }), { ready: false, reason: "exit status 3", exitCode: 3 });
  t.like(attemptOutcome({ ...facts, service: true, spawned: false, end: end(127, "command not found: x") }), { ready: false, reason: "command not found: x", exitCode: 127 });
});
