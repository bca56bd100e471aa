// `run --retries N`: a failed attempt runs the command again after a doubling delay while
// dependents keep waiting; the final reason names the count.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import test from "ava";
import { eventually, tempDir, withAgent } from "./helpers/agent.js";
import { cli, spawnCli } from "./helpers/cli.js";

const STATUS = ["unspecified", "not registered", "pending", "started", "completed", "failed"];

test("--retries 2 runs a failing command three times with growing delays, then fails naming the count", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const dir = tempDir(t);
  const runs = join(dir, "runs");
  const result = await spawnCli(["run", "flaky", "--retries", "2", "--retry-delay", "100ms", "--", "sh", "-c", `echo ran >> ${runs}; exit 3`], {
    UNITSYNC_SOCKET: socketPath,
  }).done;
  t.is(result.code, 3, result.stderr);
  t.is(readFileSync(runs, "utf8"), "ran\nran\nran\n");
  t.regex(result.stderr, /attempt 1 of 3 failed: exit status 3; trying again in 100ms/);
  t.regex(result.stderr, /attempt 2 of 3 failed: exit status 3; trying again in 200ms/);
  const unit = (await client.getUnit({ unit: "flaky" })).unit!;
  t.is(STATUS[unit.status], "failed");
  t.is(unit.reason, "failed after 3 attempts: exit status 3");
  t.is(unit.attempt, 3, "each run of the command was an attempt of the unit");
  const entry = (await client.getTimeline({})).entries.find((e) => e.unit === "flaky")!;
  t.deepEqual(
    entry.attempts.map((a) => [a.number, STATUS[a.status], a.reason]),
    [
      [1, "failed", "exit status 3"],
      [2, "failed", "exit status 3"],
      [3, "failed", "failed after 3 attempts: exit status 3"],
    ],
  );
  const status = JSON.parse((await cli(["status", "flaky", "-o", "json", "--socket", socketPath])).stdout);
  t.like(status.process, { state: "exited", attempt: 3, max_attempts: 3, exit_code: 3 });
});

test("a command that fails once then succeeds completes; its dependent starts only after the successful attempt", async (t) => {
  const { agent, client, socketPath } = await withAgent(t);
  const dir = tempDir(t);
  const [marker, go] = [join(dir, "failed-once"), join(dir, "go")];
  const app = spawnCli(["run", "app", "--after", "flaky", "--", "echo", "app ran"], { UNITSYNC_SOCKET: socketPath });
  t.teardown(() => app.child.kill("SIGKILL"));
  await eventually(() => agent.registry.get("app").waiting, "app to wait", 45_000);
  // The first attempt fails only once the test says so, after app is waiting.
  const script = `if [ -e ${marker} ]; then exit 0; fi; while [ ! -e ${go} ]; do sleep 0.02; done; touch ${marker}; exit 4`;
  const flaky = spawnCli(["run", "flaky", "--retries", "1", "--retry-delay", "50ms", "--", "sh", "-c", script], { UNITSYNC_SOCKET: socketPath });
  await eventually(() => agent.registry.get("flaky").status === "started", "flaky to start", 45_000);
  (await import("node:fs")).writeFileSync(go, "");
  const flakyResult = await flaky.done;
  t.is(flakyResult.code, 0, flakyResult.stderr);
  t.regex(flakyResult.stderr, /attempt 1 of 2 failed: exit status 4; trying again in 50ms/);
  const appResult = await app.done;
  t.is(appResult.code, 0, appResult.stderr);
  t.is(appResult.stdout, "app ran\n");
  const entries = (await client.getTimeline({})).entries;
  const entry = (name: string) => entries.find((e) => e.unit === name)!;
  t.is(STATUS[entry("flaky").status], "completed");
  t.true(timestampMs(entry("app").startedAt!) >= timestampMs(entry("flaky").finishedAt!));
  t.deepEqual(
    entry("flaky").attempts.map((a) => [a.number, STATUS[a.status], a.reason]),
    [
      [1, "failed", "exit status 4"],
      [2, "completed", ""],
    ],
  );
  const failedEvents = agent.registry.events().filter((e) => e.unit === "flaky" && e.to === "failed");
  t.deepEqual(failedEvents, [], "the unit never failed between attempts: dependents kept waiting");
});

test("--retries that is not a whole number is a usage error", async (t) => {
  const { socketPath } = await withAgent(t);
  const result = await spawnCli(["run", "x", "--retries", "two", "--", "true"], { UNITSYNC_SOCKET: socketPath }).done;
  t.is(result.code, 2);
  t.regex(result.stderr, /^unitsync: --retries: "two" is not a whole number/m);
});
