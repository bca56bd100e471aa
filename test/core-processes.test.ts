// The process states beside the registry (src/core/processes.ts) and the registry's retry hook.
import test from "ava";
import { type ProcessView, Processes } from "../src/core/processes.js";
import { Registry } from "../src/core/registry.js";

const base: ProcessView = { phase: "starting", pid: 10, attempt: 1, maxAttempts: 2, checks: [{ check: "tcp:80", passed: false, lastError: "" }], exitCode: 0, exitReason: "" };

test("a report yields the events of what changed: started, a check's new error, passed, ready, exited", (t) => {
  const p = new Processes({ textLength: 100 });
  const kinds = (view: ProcessView) => p.report("web", view).map((c) => `${c.kind}: ${c.reason}`);
  t.deepEqual(kinds(base), ["process-started: pid 10, attempt 1 of 2"]);
  const refused = { ...base, checks: [{ check: "tcp:80", passed: false, lastError: "connection refused" }] };
  t.deepEqual(kinds(refused), ["process-checked: tcp:80: connection refused"]);
  t.deepEqual(kinds(refused), [], "the same error again is no news");
  t.deepEqual(kinds({ ...base, phase: "running", readyAt: 5, checks: [{ check: "tcp:80", passed: true, passedAt: 5, lastError: "" }] }), [
    "process-checked: tcp:80 passed",
    "process-ready: tcp:80",
  ]);
  t.deepEqual(kinds({ ...base, phase: "exited", readyAt: 5, exitCode: 1, exitReason: "exit status 1", checks: [{ check: "tcp:80", passed: true, lastError: "" }] }), [
    "process-exited: exit status 1",
  ]);
  t.is(p.get("web")?.phase, "exited");
});

test("a failed attempt waiting to retry, then the next attempt, are each reported once", (t) => {
  const p = new Processes({ textLength: 100 });
  p.report("u", { ...base, checks: [] });
  t.deepEqual(p.report("u", { ...base, checks: [], phase: "retry-wait", exitCode: 3, exitReason: "exit status 3" }).map((c) => c.kind), ["process-retrying"]);
  t.deepEqual(p.report("u", { ...base, checks: [], phase: "running", pid: 11, attempt: 2 }).map((c) => c.kind), ["process-started"]);
});

test("bad reports are refused whole", (t) => {
  const p = new Processes({ textLength: 10 });
  t.throws(() => p.report("u", { ...base, attempt: 3 }), { message: /attempt 3 of 2/ });
  t.throws(() => p.report("u", { ...base, exitReason: "x".repeat(11) }), { message: /exit reason is 11 characters/ });
  t.throws(() => p.report("u", { ...base, checks: [{ check: "", passed: false, lastError: "" }] }), { message: /no name/ });
  t.is(p.get("u"), undefined);
});

test("retry ends a started unit's attempt as failed and begins the next, started, while its dependents keep waiting", async (t) => {
  const registry = new Registry();
  registry.want("app", ["web"]);
  await registry.start("web", new AbortController().signal);
  const waiting = registry.start("app", new AbortController().signal);
  const after = registry.retry("web", "exit status 3");
  t.is(after.status, "started");
  t.is(after.attempt, 2);
  t.true(registry.get("app").waiting, "app still waits: web did not fail");
  t.deepEqual(
    registry.timeline().entries.find((e) => e.name === "web")!.attempts.map((a) => [a.attempt, a.status, a.reason]),
    [
      [1, "failed", "exit status 3"],
      [2, "started", ""],
    ],
  );
  registry.complete("web");
  t.is((await waiting).unit.status, "started");
  t.throws(() => registry.retry("web", "x"), { message: /only a started unit can be retried/ });
});
