// The installed command as real processes against a real agent process: the acceptance scenarios,
// no-agent and shutdown behaviour, --version and --help.
import test from "ava";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { VERSION } from "../src/version.js";
import { tempDir } from "./helpers/agent.js";
import { ms, withAgentProcess } from "./helpers/agent-process.js";
import { type CliResult, ROOT, spawnCli } from "./helpers/cli.js";
import type { UnitSyncClient } from "../src/client/client.js";

const PACKAGE_VERSION: string = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
const VERBS = ["agent", "ping", "want", "start", "complete", "fail", "list", "status"];

/** Resolves once the agent reports a Start call waiting for `unit` (bounded). */
async function unitWaiting(client: UnitSyncClient, unit: string): Promise<void> {
  const until = Date.now() + 50_000;
  while (!(await client.getUnit({ unit })).unit?.waiting) {
    if (Date.now() > until) throw new Error(`${unit} never started waiting`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const oneLine = (result: CliResult) => result.stderr.split("\n").filter(Boolean).length === 1 && result.stderr.endsWith("\n");

test("acceptance: a blocked start returns after its dependency completes, pushed by the agent", async (t) => {
  const { run, spawn, client } = await withAgentProcess(t);
  const want = await run(["want", "b", "a"]);
  t.is(want.code, 0, want.stderr);
  t.is(want.stdout, 'Unit "b" declared dependencies: [a]\n');

  const startB = spawn(["start", "b"]);
  let bExited = false;
  void startB.done.then(() => (bExited = true));
  await unitWaiting(client, "b");

  const startA = await run(["start", "a"]);
  t.is(startA.code, 0, startA.stderr);
  t.is(startA.stdout, 'Unit "a" started with no dependencies\n');
  // a is started, not completed: b still waits.
  t.true((await client.getUnit({ unit: "b" })).unit!.waiting);
  t.false(bExited, "start b returned before a completed");

  const complete = spawn(["complete", "a"]);
  t.false(bExited, "start b returned before complete ran");
  const completed = await complete.done;
  t.is(completed.code, 0, completed.stderr);
  t.is(completed.stdout, "Success\n");

  const b = await startB.done;
  t.is(b.code, 0, b.stderr);
  const lines = b.stdout.trimEnd().split("\n");
  t.is(lines[0], 'Unit "b" is waiting for dependencies to be satisfied: [a]');
  t.true(b.stderr.split("\n").includes('Dependency "a" completed'), b.stderr);
  t.regex(lines.at(-1)!, /^Unit "b" finished waiting for dependencies: \[a\]/);

  // The agent's own record: b started no earlier than a finished.
  const timeline = await client.getTimeline({});
  const entry = (unit: string) => timeline.entries.find((e) => e.unit === unit)!;
  t.true(ms(entry("b").startedAt, "b started") >= ms(entry("a").finishedAt, "a finished"));
  t.true(ms(entry("b").startRequestedAt, "b requested") <= ms(entry("a").startedAt, "a started"));
});

test("acceptance: start --timeout 1s with an unmet dependency exits 4 naming the unit and the dependency", async (t) => {
  const { run } = await withAgentProcess(t);
  t.is((await run(["want", "x", "never-done"])).code, 0);
  const result = await run(["start", "x", "--timeout", "1s"]);
  t.is(result.code, 4, result.stderr);
  t.true(oneLine(result), result.stderr);
  t.true(result.stderr.startsWith("unitsync: "));
  t.true(result.stderr.includes("timeout waiting for dependencies of unit 'x'"), result.stderr);
  t.true(result.stderr.includes("never-done"), result.stderr);
  t.is(result.stdout, 'Unit "x" is waiting for dependencies to be satisfied: [never-done]\n');
});

test("acceptance: fail with a reason ends a transitive wait with exit 5 naming the failed unit and the reason", async (t) => {
  const { run, spawn, client } = await withAgentProcess(t);
  for (const argv of [["start", "a"], ["want", "b", "a"], ["want", "c", "b"]]) t.is((await run(argv)).code, 0);
  const startC = spawn(["start", "c"]);
  await unitWaiting(client, "c");
  const fail = await run(["fail", "a", "--reason", "disk full"]);
  t.is(fail.code, 0, fail.stderr);
  t.is(fail.stdout, 'Unit "a" failed; blocked dependents: [b, c]\n');
  const c = await startC.done;
  t.is(c.code, 5, c.stderr);
  t.true(oneLine(c), c.stderr);
  t.regex(c.stderr, /^unitsync: start c: dependency "a" failed: disk full/);
  const status = await run(["status", "c"]);
  t.regex(status.stdout, /^Blocked by: a failed: disk full via c -> b -> a$/m);
});

test("acceptance: bad unit names are rejected with a clear message and the agent keeps serving", async (t) => {
  const { run } = await withAgentProcess(t);
  const cases: [string, RegExp][] = [
    ["", /unit name is empty/],
    ["line\nbreak", /invalid unit name "line\\u\{a\}break": control character U\+000A/],
    ["esc\u001b[0m", /control character U\+001B/],
    ["n".repeat(1025), /is 1025 characters/],
  ];
  for (const [name, pattern] of cases) {
    for (const argv of [["want", name, "dep"], ["start", name]]) {
      const result = await run(argv);
      t.is(result.code, 1, `${JSON.stringify(argv)}: ${result.stderr}`);
      t.true(oneLine(result), result.stderr);
      t.regex(result.stderr, pattern);
      t.regex(result.stderr, /a unit name is 1-1024 printable characters/);
      t.is(result.stdout, "");
    }
  }
  const ping = await run(["ping"]);
  t.is(ping.code, 0, ping.stderr);
  t.regex(ping.stdout, /^Success\n/);
  t.is((await run(["list"])).stdout, "No units registered\n");
});

test("no agent: exit 3 with one stderr line naming the socket path and 'unitsync agent'", async (t) => {
  const socket = join(tempDir(t), "none.sock");
  for (const argv of [["ping"], ["start", "x"], ["want", "x", "y"]]) {
    const result = await spawnCli([...argv, "--socket", socket]).done;
    t.is(result.code, 3, result.stderr);
    t.true(oneLine(result), result.stderr);
    t.true(result.stderr.startsWith("unitsync: "), result.stderr);
    t.true(result.stderr.includes(socket), result.stderr);
    t.true(result.stderr.includes("unitsync agent"), result.stderr);
    t.is(result.stdout, "");
  }
  // UNITSYNC_SOCKET is named the same way.
  const viaEnv = await spawnCli(["ping"], { UNITSYNC_SOCKET: socket }).done;
  t.is(viaEnv.code, 3);
  t.true(viaEnv.stderr.includes(socket));
});

test("SIGTERM to the agent ends a waiting start --reconnect 0 with exit 3; the agent exits 0 and removes its socket", async (t) => {
  const { run, spawn, client, agent, socketPath } = await withAgentProcess(t);
  t.is((await run(["want", "b", "a"])).code, 0);
  const startB = spawn(["start", "b", "--reconnect", "0"]);
  await unitWaiting(client, "b");
  agent.child.kill("SIGTERM");
  const b = await startB.done;
  t.is(b.code, 3, b.stderr);
  t.true(oneLine(b), b.stderr);
  t.regex(b.stderr, /^unitsync: start b: agent shutting down\n$/);
  // No second signal: the agent exits by itself.
  const stopped = await agent.done;
  t.is(stopped.code, 0, stopped.stderr);
  t.false(existsSync(socketPath));
});

test("src/version.ts matches package.json", (t) => {
  t.is(VERSION, PACKAGE_VERSION);
});

test("--version prints the package version and exits 0", async (t) => {
  for (const flag of ["--version", "-v"]) {
    const result = await spawnCli([flag]).done;
    t.is(result.code, 0, result.stderr);
    t.regex(result.stdout, new RegExp(`^unitsync/${PACKAGE_VERSION.replace(/\./g, "\\.")}\\b`));
  }
});

test("ping -o json reports the package version of a real agent", async (t) => {
  const { run } = await withAgentProcess(t);
  const ping = await run(["ping", "-o", "json"]);
  t.is(ping.code, 0, ping.stderr);
  t.is(JSON.parse(ping.stdout).version, PACKAGE_VERSION);
});

test("--help exits 0 and lists every verb; each verb has its own help", async (t) => {
  const help = await spawnCli(["--help"]).done;
  t.is(help.code, 0, help.stderr);
  for (const verb of VERBS) t.regex(help.stdout, new RegExp(`^  ${verb}\\b`, "m"), verb);
  t.regex(help.stdout, /--socket <path>/);
  t.regex(help.stdout, /--socket-path <path>/);
  const start = await spawnCli(["start", "--help"]).done;
  t.is(start.code, 0, start.stderr);
  t.regex(start.stdout, /--timeout <duration>/);
  t.regex(start.stdout, /default: 5m/);
});
