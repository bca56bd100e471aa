// runUnit's handle, as `up -f` uses it: settled at ready, exited at the end, stop() in every phase
// (waiting, running, ready, between attempts) leaving no process, and the outcome it records.
import { closeSync, openSync } from "node:fs";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import { runUnit } from "../src/runner/run-unit.js";
import type { UnitSpec } from "../src/runner/unit-spec.js";
import { eventually, tempDir, withAgent } from "./helpers/agent.js";
import { groupGone, numberIn } from "./helpers/process-groups.js";

function spec(t: ExecutionContext, fields: Partial<UnitSpec> & Pick<UnitSpec, "unit" | "command">): UnitSpec {
  const fd = openSync("/dev/null", "w");
  t.teardown(() => closeSync(fd));
  return { after: [], env: { PATH: process.env.PATH }, ready: [], readyTimeoutMs: 0, locks: [], timeoutMs: 0, runTimeoutMs: 0, retries: 0, retryDelayMs: 0, stdio: { fd }, ...fields };
}

test("stop() while waiting fails the unit 'not run: <reason>' and nothing runs", async (t) => {
  const { client } = await withAgent(t);
  const handle = runUnit(client, spec(t, { unit: "late", command: ["true"], after: [{ name: "never", condition: "completed" }] }));
  await new Promise((r) => setTimeout(r, 0));
  await handle.stop("up is exiting", 1_000);
  t.like(await handle.settled, { ok: false, reason: "not run: up is exiting" });
  t.is(handle.pid(), undefined);
  t.is((await client.getUnit({ unit: "late" })).unit!.reason, "not run: up is exiting");
});

test("a ready service: settled ok while it runs; stop() ends its group and keeps the unit completed", async (t) => {
  const { client } = await withAgent(t);
  const dir = tempDir(t);
  const handle = runUnit(
    client,
    spec(t, { unit: "svc", command: ["sh", "-c", `echo $$ > ${dir}/pid; touch ${dir}/ready; sleep 30 & wait`], ready: [`file:${dir}/ready`] }),
  );
  t.like(await handle.settled, { ok: true, reason: "" });
  const pid = await numberIn(join(dir, "pid"));
  t.is(handle.pid(), pid);
  t.false(groupGone(pid));
  await handle.stop("up is exiting", 2_000);
  t.true(groupGone(pid), "no process of the group is left when stop() resolves");
  t.is(await handle.exited, 143);
  t.is((await client.getUnit({ unit: "svc" })).unit!.status, 4, "still completed");
});

test("stop() while a service is not ready yet fails the unit with the stop's reason", async (t) => {
  const { client } = await withAgent(t);
  const dir = tempDir(t);
  const handle = runUnit(client, spec(t, { unit: "svc", command: ["sh", "-c", `echo $$ > ${dir}/pid; exec sleep 30`], ready: [`file:${dir}/never`] }));
  const pid = await numberIn(join(dir, "pid"));
  await handle.stop("start-up budget of 1s exceeded", 2_000);
  t.like(await handle.settled, { ok: false, reason: "start-up budget of 1s exceeded" });
  t.true(groupGone(pid));
});

test("stop() between attempts ends the retries and says why", async (t) => {
  const { client, agent } = await withAgent(t);
  const handle = runUnit(client, spec(t, { unit: "flaky", command: ["sh", "-c", "exit 3"], retries: 5, retryDelayMs: 60_000 }));
  await eventually(() => agent.context.processes.get("flaky")?.phase === "retry-wait", "the first attempt to fail", 45_000);
  await handle.stop("up is exiting", 1_000);
  t.like(await handle.settled, { ok: false, reason: "up is exiting; attempt 1 had failed: exit status 3", exitCode: 143 });
  t.is((await client.getUnit({ unit: "flaky" })).unit!.attempt, 2, "the retry had begun attempt 2");
});

test("a service that exits 0 before ready fails and run exits 1", async (t) => {
  const { client } = await withAgent(t);
  const handle = runUnit(client, spec(t, { unit: "svc", command: ["true"], ready: ["log:never printed"] }));
  t.like(await handle.settled, { ok: false, reason: "exited with status 0 before ready (log:never printed)", exitCode: 1 });
  t.is(await handle.exited, 1);
});
