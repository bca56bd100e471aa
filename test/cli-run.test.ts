// `unitsync run` as a real process: outcome by exit status, signals, --after, --timeout, --optional.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { eventually, tempDir, withAgent } from "./helpers/agent.js";
import { cli, spawnCli } from "./helpers/cli.js";
import { fileAppears, outputMatches } from "./helpers/ops.js";

const UNIT_STATUS = ["unspecified", "not registered", "pending", "started", "completed", "failed"];

/** The unit's status name and reason as the agent holds them. */
async function unitState(client: Awaited<ReturnType<typeof withAgent>>["client"], name: string) {
  const unit = (await client.getUnit({ unit: name })).unit!;
  return { status: UNIT_STATUS[unit.status], reason: unit.reason };
}

test("a command that exits 0 completes the unit, its output passes through and run exits 0", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const result = await spawnCli(["run", "hello", "--", "sh", "-c", "echo hello from the command"], { UNITSYNC_SOCKET: socketPath }).done;
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, "hello from the command\n", "stdout belongs to the command alone");
  t.deepEqual(await unitState(client, "hello"), { status: "completed", reason: "" });
});

test("a command that exits 7 fails the unit with reason 'exit status 7' and run exits 7", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const result = await spawnCli(["run", "seven", "--", "sh", "-c", "exit 7"], { UNITSYNC_SOCKET: socketPath }).done;
  t.is(result.code, 7, result.stderr);
  t.deepEqual(await unitState(client, "seven"), { status: "failed", reason: "exit status 7" });
});

test("a command killed by SIGTERM fails the unit with 'killed by SIGTERM' and run exits 143", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const result = await spawnCli(["run", "killed", "--", "sh", "-c", "kill -TERM $$"], { UNITSYNC_SOCKET: socketPath }).done;
  t.is(result.code, 143, result.stderr);
  t.deepEqual(await unitState(client, "killed"), { status: "failed", reason: "killed by SIGTERM" });
});

test("a command that cannot be found fails the unit and run exits 127", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const result = await spawnCli(["run", "missing", "--", "/nonexistent/unitsync-test-command"], { UNITSYNC_SOCKET: socketPath }).done;
  t.is(result.code, 127, result.stderr);
  t.deepEqual(await unitState(client, "missing"), { status: "failed", reason: "command not found: /nonexistent/unitsync-test-command" });
});

test("SIGTERM sent to run reaches the command, which may trap it; run exits with the command's code", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const dir = tempDir(t);
  const [ready, trapped] = [join(dir, "ready"), join(dir, "trapped")];
  const script = `trap 'kill $pid; touch ${trapped}; exit 9' TERM; sleep 30 & pid=$!; touch ${ready}; wait $pid`;
  const run = spawnCli(["run", "trapper", "--", "sh", "-c", script], { UNITSYNC_SOCKET: socketPath });
  await fileAppears(ready);
  run.child.kill("SIGTERM");
  const result = await run.done;
  t.is(result.code, 9, result.stderr);
  t.true(existsSync(trapped), "the command's trap ran");
  t.deepEqual(await unitState(client, "trapper"), { status: "failed", reason: "exit status 9" });
});

test("SIGTERM, SIGINT and SIGHUP sent to run kill a command that does not trap them; run exits 128+n", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const dir = tempDir(t);
  for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130], ["SIGHUP", 129]] as const) {
    const ready = join(dir, `ready-${signal}`);
    const run = spawnCli(["run", `sleeper-${signal}`, "--", "sh", "-c", `touch ${ready}; exec sleep 30`], { UNITSYNC_SOCKET: socketPath });
    await fileAppears(ready);
    run.child.kill(signal);
    const result = await run.done;
    t.is(result.code, code, `${signal}: ${result.stderr}`);
    t.deepEqual(await unitState(client, `sleeper-${signal}`), { status: "failed", reason: `killed by ${signal}` }, result.stderr);
  }
});

test("UNITSYNC_UNIT and UNITSYNC_SOCKET are in the command's environment", async (t) => {
  const { socketPath } = await withAgent(t);
  const result = await spawnCli(["run", "env-check", "--socket", socketPath, "--", "sh", "-c", 'echo "$UNITSYNC_UNIT|$UNITSYNC_SOCKET"'], {
    UNITSYNC_SOCKET: undefined,
  }).done;
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, `env-check|${socketPath}\n`);
});

test("run --after waits for the dependency before running the command, with progress on stderr", async (t) => {
  const { agent, client, socketPath } = await withAgent(t);
  const dir = tempDir(t);
  const marker = join(dir, "ran");
  t.is((await cli(["start", "db", "--socket", socketPath])).code, 0);
  const run = spawnCli(["run", "app", "--after", "db", "--", "sh", "-c", `touch ${marker}; echo done`], { UNITSYNC_SOCKET: socketPath });
  await eventually(() => agent.registry.get("app").waiting, "app to wait for db", 45_000);
  await outputMatches(run, /Unit "app" is waiting for dependencies to be satisfied: \[db\]/, "stderr");
  t.false(existsSync(marker), "the command has not run while db is started, not completed");
  const completed = await spawnCli(["complete", "db"], { UNITSYNC_SOCKET: socketPath }).done;
  t.is(completed.code, 0, completed.stderr);
  const result = await run.done;
  t.is(result.code, 0, result.stderr);
  t.true(existsSync(marker));
  t.is(result.stdout, "done\n", "progress goes to stderr, stdout belongs to the command");
  t.regex(result.stderr, /Dependency "db" completed/);
  t.deepEqual(await unitState(client, "app"), { status: "completed", reason: "" });
});

test("run --after a failed unit does not run the command, fails the unit and exits 5", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const dir = tempDir(t);
  const marker = join(dir, "ran");
  t.is((await cli(["start", "a", "--socket", socketPath])).code, 0);
  t.is((await cli(["fail", "a", "--reason", "disk full", "--socket", socketPath])).code, 0);
  const result = await spawnCli(["run", "b", "--after", "a", "--", "touch", marker], { UNITSYNC_SOCKET: socketPath }).done;
  t.is(result.code, 5, result.stderr);
  t.false(existsSync(marker), "the command did not run");
  t.regex(result.stderr, /^unitsync: run b: dependency "a" failed: disk full$/m);
  const state = await unitState(client, "b");
  t.is(state.status, "failed");
  t.regex(state.reason, /^not run: dependency "a" failed/);
});

test("run --after a unit that fails while it waits does not run the command and exits 5", async (t) => {
  const { agent, socketPath } = await withAgent(t);
  const dir = tempDir(t);
  const marker = join(dir, "ran");
  t.is((await cli(["start", "a", "--socket", socketPath])).code, 0);
  const run = spawnCli(["run", "b", "--after", "a", "--", "touch", marker], { UNITSYNC_SOCKET: socketPath });
  await eventually(() => agent.registry.get("b").waiting, "b to wait for a", 45_000);
  t.is((await spawnCli(["fail", "a", "--reason", "broken"], { UNITSYNC_SOCKET: socketPath }).done).code, 0);
  const result = await run.done;
  t.is(result.code, 5, result.stderr);
  t.false(existsSync(marker));
});

test("run --after a unit that never completes times out with exit 4 and does not run the command", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const dir = tempDir(t);
  const marker = join(dir, "ran");
  const result = await spawnCli(["run", "late", "--after", "never", "--timeout", "1s", "--", "touch", marker], { UNITSYNC_SOCKET: socketPath }).done;
  t.is(result.code, 4, result.stderr);
  t.false(existsSync(marker), "the command did not run");
  t.regex(result.stderr, /timeout waiting for dependencies of unit 'late'.*still unmet: \[never\]/);
  const state = await unitState(client, "late");
  t.is(state.status, "failed", "dependents of a unit that will never run fail at once");
  t.regex(state.reason, /^not run: timeout/);
});

test("run --optional with no agent warns on stderr, runs the command and exits with its code", async (t) => {
  const dir = tempDir(t);
  const marker = join(dir, "ran");
  const socket = join(dir, "nobody.sock");
  const result = await spawnCli(["run", "solo", "--optional", "--after", "x", "--", "sh", "-c", `touch ${marker}; exit 6`], { UNITSYNC_SOCKET: socket }).done;
  t.is(result.code, 6, result.stderr);
  t.true(existsSync(marker), "the command ran");
  t.regex(result.stderr, /^unitsync: run solo: no agent answers on .*nobody\.sock.*running without coordination \(--optional\)$/m);
});

test("run without --optional and no agent exits 3 and does not run the command", async (t) => {
  const dir = tempDir(t);
  const marker = join(dir, "ran");
  const socket = join(dir, "nobody.sock");
  const result = await spawnCli(["run", "solo", "--", "touch", marker], { UNITSYNC_SOCKET: socket }).done;
  t.is(result.code, 3, result.stderr);
  t.false(existsSync(marker));
  t.regex(result.stderr, /^unitsync: run solo: no agent answers on .*nobody\.sock/m);
});

test("run with no command after -- is a usage error", async (t) => {
  const { client, socketPath } = await withAgent(t);
  for (const rest of [[], ["--"], ["--after", "a"], ["--after", "a", "--"]]) {
    const argv = ["run", "x", "--socket", socketPath, ...rest];
    const result = await cli(argv);
    t.is(result.code, 2, argv.join(" "));
    t.regex(result.stderr, /no command given; write it after "--"/);
  }
  t.is((await client.listUnits({})).units.length, 0, "nothing was declared");
});

test("run --after a,b --after c declares all three dependencies", async (t) => {
  const { client, socketPath } = await withAgent(t);
  for (const dep of ["a", "b", "c"]) {
    t.is((await cli(["start", dep, "--socket", socketPath])).code, 0);
    t.is((await cli(["complete", dep, "--socket", socketPath])).code, 0);
  }
  const dir = tempDir(t);
  const out = join(dir, "out");
  const result = await spawnCli(["run", "x", "--after", "a,b", "--after", "c", "--", "sh", "-c", `echo ran > ${out}`], { UNITSYNC_SOCKET: socketPath }).done;
  t.is(result.code, 0, result.stderr);
  t.is(readFileSync(out, "utf8"), "ran\n");
  const unit = (await client.getUnit({ unit: "x" })).unit!;
  t.deepEqual(unit.dependencies.map((d) => d.dependsOn).sort(), ["a", "b", "c"]);
  t.regex(result.stderr, /started immediately, dependencies already satisfied: \[a, b, c\]/);
});

test("SIGTERM, SIGINT and SIGHUP while run waits fail the unit as interrupted, skip the command and exit 128+n", async (t) => {
  const { agent, socketPath } = await withAgent(t);
  const dir = tempDir(t);
  for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130], ["SIGHUP", 129]] as const) {
    const unit = `waiter-${signal}`;
    const marker = join(dir, `ran-${signal}`);
    const run = spawnCli(["run", unit, "--after", "never", "--", "touch", marker], { UNITSYNC_SOCKET: socketPath });
    t.teardown(() => run.child.kill("SIGKILL"));
    await eventually(() => agent.registry.get(unit).waiting, `${unit} to wait for never`, 45_000);
    run.child.kill(signal);
    const result = await run.done;
    t.is(result.code, code, `${signal}: ${result.stderr}`);
    t.false(existsSync(marker), `${signal}: the command did not run`);
    t.regex(result.stderr, new RegExp(`^unitsync: run ${unit}: interrupted by ${signal}$`, "m"));
    const status = await cli(["status", unit, "--socket", socketPath]);
    t.regex(status.stdout, /^Status: failed$/m, `${signal}: dependents need not wait for a unit that will never run`);
    t.regex(status.stdout, new RegExp(`^Reason: not run: interrupted by ${signal}$`, "m"));
  }
});
