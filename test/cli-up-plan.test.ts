// `unitsync up -f`: a checked plan in one process — order and readiness from the agent's timeline,
// a failing step stops only its dependents, the budget (exit 4, the chain, nothing left), the
// ordered shutdown on SIGTERM (exit 143), and --then only after a complete start-up.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { statusName } from "../src/rpc/enums.js";
import { tempDir, withAgent } from "./helpers/agent.js";
import { BIN, type CliResult, cli, spawnCli } from "./helpers/cli.js";
import { outputMatches } from "./helpers/ops.js";

/** Waits for `up` to end, failing clearly (instead of at the suite's timeout) if it does not within `limitMs`. */
function ends(done: Promise<CliResult>, limitMs = 45_000): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`up did not end within ${limitMs} ms`)), limitMs)));
  return Promise.race([done, limit]).finally(() => clearTimeout(timer));
}

function hermetic(dir: string) {
  return { HOME: dir, XDG_RUNTIME_DIR: dir, XDG_CACHE_HOME: join(dir, "cache"), NO_COLOR: "1" };
}

function writePlan(dir: string, text: string): string {
  const file = join(dir, "unitsync.yaml");
  writeFileSync(file, text);
  return file;
}

/** Whether any process of the group led by `pid` is still alive. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function timelineOf(client: Awaited<ReturnType<typeof withAgent>>["client"]) {
  const { entries } = await client.getTimeline({});
  return new Map(
    entries.map((e) => [
      e.unit,
      { status: statusName(e.status), started: e.startedAt ? timestampMs(e.startedAt) : undefined, finished: e.finishedAt ? timestampMs(e.finishedAt) : undefined },
    ]),
  );
}

test("up -f runs the plan in dependency order, a service releases its dependents once ready, complete is printed once", async (t) => {
  const { socketPath, client, dir } = await withAgent(t);
  const file = writePlan(
    dir,
    [
      "units:",
      '  clone: { run: "echo cloned" }',
      '  deps:  { run: "echo installed", after: [clone] }',
      '  lint:  { run: "true", after: [clone] }',
      // The service is ready once its file exists; it keeps running after that.
      `  db:    { run: "touch ${dir}/db-ready; exec sleep 30", ready: "file:${dir}/db-ready", after: [clone] }`,
      '  migrate: { run: "echo migrated", after: [deps, db] }',
      '  report: { run: "true", after: { migrate: finished, lint: completed } }',
    ].join("\n"),
  );
  const logDir = join(dir, "logs");
  // --then ends supervision at once (the service would otherwise be supervised until it exits).
  const result = await cli(["up", "-f", file, "--socket", socketPath, "--log-dir", logDir, "--grace", "1s", "--then", "true"], hermetic(dir));
  t.is(result.code, 0, result.stderr + result.stdout);
  t.is(result.stdout.match(/start-up complete in /g)?.length, 1);
  const timeline = await timelineOf(client);
  const at = (name: string) => timeline.get(name)!;
  for (const name of ["clone", "deps", "lint", "db", "migrate", "report"]) t.is(at(name).status, "completed", name);
  for (const [unit, dep] of [["deps", "clone"], ["lint", "clone"], ["db", "clone"], ["migrate", "deps"], ["migrate", "db"], ["report", "migrate"], ["report", "lint"]] as const) {
    t.true(at(unit).started! >= at(dep).finished!, `${unit} started after ${dep} finished`);
  }
  t.regex(readFileSync(join(logDir, "clone.log"), "utf8"), /^cloned$/m);
  t.regex(readFileSync(join(logDir, "migrate.log"), "utf8"), /migrated/);
  t.regex(result.stdout, /^db +completed +running/m);
});

test("a failing step fails up with exit 1; only its dependents are not run", async (t) => {
  const { socketPath, client, dir } = await withAgent(t);
  const file = writePlan(
    dir,
    [
      "units:",
      '  ok: { run: "true" }',
      '  bad: { run: "echo broken >&2; exit 3" }',
      '  needs-bad: { run: "true", after: [bad] }',
      '  needs-needs-bad: { run: "true", after: [needs-bad] }',
      '  independent: { run: "true", after: [ok] }',
      '  cleanup: { run: "true", after: { bad: finished } }',
    ].join("\n"),
  );
  const result = await cli(["up", "-f", file, "--socket", socketPath, "--log-dir", join(dir, "logs")], hermetic(dir));
  t.is(result.code, 1, result.stderr);
  t.regex(result.stdout, /\nstart-up failed\n$/);
  t.notRegex(result.stdout, /start-up complete/);
  const { units } = await client.listUnits({});
  const status = Object.fromEntries(units.map((u) => [u.name, statusName(u.status)]));
  t.deepEqual(status, { ok: "completed", bad: "failed", "needs-bad": "failed", "needs-needs-bad": "failed", independent: "completed", cleanup: "completed" });
  const reasons = Object.fromEntries(units.map((u) => [u.name, u.reason]));
  t.regex(reasons["needs-bad"]!, /^not run: /);
  t.regex(reasons["needs-needs-bad"]!, /^not run: /);
  const timeline = await timelineOf(client);
  t.is(timeline.get("needs-bad")!.started, undefined);
  t.is(timeline.get("needs-needs-bad")!.started, undefined);
  t.regex(readFileSync(join(dir, "logs", "bad.log"), "utf8"), /broken/);
});

test("a plan with an error starts nothing: no agent, no unit, exit 1", async (t) => {
  const dir = tempDir(t);
  const file = writePlan(dir, `units:\n  a: { run: "touch ${dir}/ran", after: [b] }\n  b: { run: "true", after: [a] }\n`);
  const socket = join(dir, "up.sock");
  const result = await cli(["up", "-f", file, "--socket", socket], hermetic(dir));
  t.is(result.code, 1);
  t.regex(result.stderr, /unitsync\.yaml:2:49: cycle detected: a -> b -> a/);
  t.regex(result.stderr, /unitsync: up: .*unitsync\.yaml has 1 error; nothing was started\n$/);
  t.false(existsSync(socket));
  t.false(existsSync(join(dir, "ran")));
});

test("--budget 2s with a sleep 30 step: exit 4, the chain that held start-up is named, no process is left", async (t) => {
  const dir = tempDir(t);
  const file = writePlan(
    dir,
    [
      "units:",
      '  quick: { run: "true" }',
      `  slow: { run: "echo $$ > ${dir}/slow.pid; exec sleep 30", after: [quick] }`,
      '  after-slow: { run: "true", after: [slow] }',
      '  last: { run: "true", after: [after-slow] }',
      '  side: { run: "true" }',
    ].join("\n"),
  );
  const up = spawnCli(["up", "-f", file, "--budget", "2s", "--grace", "1s", "--socket", join(dir, "up.sock"), "--log-dir", join(dir, "logs")], hermetic(dir));
  t.teardown(() => up.child.kill("SIGKILL"));
  const result = await ends(up.done);
  t.is(result.code, 4, result.stderr);
  t.regex(result.stdout, /\nstart-up budget of 2s exceeded; held up by slow -> after-slow -> last\n$/);
  t.regex(result.stdout, /^slow +failed .*start-up budget of 2s exceeded/m);
  t.regex(result.stdout, /^after-slow +failed .*not run/m);
  t.regex(result.stdout, /^side +completed/m);
  const pid = Number(readFileSync(join(dir, "slow.pid"), "utf8"));
  t.false(groupAlive(pid), "the sleep 30 step's process group is gone");
  t.false(existsSync(join(dir, "up.sock")));
});

/** Three chained services that record when they get SIGTERM and exit, and ready files. */
function chainedServices(dir: string): string {
  const service = (name: string, after?: string) =>
    `  ${name}: { run: "trap 'echo ${name} $(date +%s%N) >> ${dir}/exits; exit 0' TERM; touch ${dir}/${name}-ready; while :; do sleep 0.05; done", ready: "file:${dir}/${name}-ready"${after ? `, after: [${after}]` : ""} }`;
  return writePlan(dir, ["units:", service("db"), service("api", "db"), service("web", "api")].join("\n"));
}

test("SIGTERM to up with three chained services: they stop in reverse order, up exits 143", async (t) => {
  const dir = tempDir(t);
  const file = chainedServices(dir);
  const up = spawnCli(["up", "-f", file, "--grace", "10s", "--socket", join(dir, "up.sock"), "--log-dir", join(dir, "logs")], hermetic(dir));
  t.teardown(() => up.child.kill("SIGKILL"));
  await outputMatches(up, /start-up complete in /);
  up.child.kill("SIGTERM");
  const result = await ends(up.done);
  t.is(result.code, 143, result.stderr);
  const exits = readFileSync(join(dir, "exits"), "utf8")
    .trim()
    .split("\n")
    .map((line) => line.split(" "))
    .map(([name, ns]) => ({ name, at: BigInt(ns!) }));
  t.deepEqual(exits.map((e) => e.name), ["web", "api", "db"]);
  t.true(exits[0]!.at <= exits[1]!.at && exits[1]!.at <= exits[2]!.at);
});

test("--then runs once start-up is complete, up stays the parent and exits with its code, services stopped after", async (t) => {
  const dir = tempDir(t);
  const file = chainedServices(dir);
  const listing = join(dir, "listing.json");
  const up = spawnCli(
    ["up", "-f", file, "--socket", join(dir, "up.sock"), "--log-dir", join(dir, "logs"), "--then", "sh", "-c", `"$0" "$1" list -o json > "$2"; exit 7`, process.execPath, BIN, listing],
    hermetic(dir),
  );
  t.teardown(() => up.child.kill("SIGKILL"));
  const result = await ends(up.done);
  t.is(result.code, 7, result.stderr);
  const listed = JSON.parse(readFileSync(listing, "utf8")) as { unit_name: string; status: string }[];
  t.deepEqual(listed.map((u) => [u.unit_name, u.status]).sort(), [["api", "completed"], ["db", "completed"], ["web", "completed"]]);
  t.deepEqual(readFileSync(join(dir, "exits"), "utf8").trim().split("\n").map((l) => l.split(" ")[0]), ["web", "api", "db"]);
});

test("--then does not run at all when start-up fails", async (t) => {
  const dir = tempDir(t);
  const file = writePlan(dir, 'units:\n  bad: { run: "exit 1" }\n  next: { run: "true", after: [bad] }\n');
  const result = await cli(["up", "-f", file, "--socket", join(dir, "up.sock"), "--log-dir", join(dir, "logs"), "--then", "touch", join(dir, "then-ran")], hermetic(dir));
  t.is(result.code, 1);
  t.false(existsSync(join(dir, "then-ran")));
});

test("up -f usage errors: --then without a command, --budget without a plan, -f with --dir", async (t: ExecutionContext) => {
  const dir = tempDir(t);
  const file = writePlan(dir, 'units:\n  a: { run: "true" }\n');
  const env = hermetic(dir);
  t.like(await cli(["up", "-f", file, "--then"], env), { code: 2, stderr: "unitsync: up: --then needs a command after it, as in: unitsync up -f unitsync.yaml --then nginx\n" });
  t.like(await cli(["up", "--dir", dir, "--budget", "5s"], env), { code: 2, stderr: "unitsync: up: --budget needs a plan (-f FILE)\n" });
  t.like(await cli(["up", "-f", file, "--dir", dir], env), { code: 2, stderr: "unitsync: up: give either -f or scripts (--dir), not both\n" });
  t.like(await cli(["up", "-f", file, "--budget", "soon"], env), { code: 2 });
});
