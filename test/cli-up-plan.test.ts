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
import { groupGone } from "./helpers/process-groups.js";

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
  t.true(groupGone(pid), "the sleep 30 step's process group is gone");
  t.false(existsSync(join(dir, "up.sock")));
});

/**
 * Three chained services that record each SIGTERM they get, and ready files. Each takes a moment
 * to stop, so a second SIGTERM sent while it stops would show as a second line.
 */
function chainedServices(dir: string): string {
  const service = (name: string, after?: string) =>
    `  ${name}: { run: "trap 'echo ${name} $(date +%s%N) >> ${dir}/exits; sleep 0.2; exit 0' TERM; touch ${dir}/${name}-ready; while :; do sleep 0.05; done", ready: "file:${dir}/${name}-ready"${after ? `, after: [${after}]` : ""} }`;
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

test("up --dir: scripts with a # unitsync: header run as units (after, retries); the others call unitsync themselves", async (t) => {
  const { socketPath, client, dir } = await withAgent(t);
  const folder = join(dir, "startup");
  const { mkdirSync, chmodSync } = await import("node:fs");
  mkdirSync(folder);
  const script = (name: string, body: string) => {
    writeFileSync(join(folder, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(folder, name), 0o755);
  };
  // Fails on its first attempt: the header's retries=1 runs it again.
  script("10-clone.sh", `# unitsync: retries=1 retry_delay=10ms\necho x >> ${dir}/clone.attempts\n[ "$(wc -l < ${dir}/clone.attempts)" -gt 1 ]`);
  script("20-build.sh", "# unitsync: after=10-clone\necho built");
  script("30-own.sh", "exec unitsync run own --after 20-build -- true");
  const up = spawnCli(["up", "--dir", folder, "--socket", socketPath, "--log-dir", join(dir, "logs")], hermetic(dir));
  t.teardown(() => up.child.kill("SIGKILL"));
  const result = await ends(up.done);
  t.is(result.code, 0, result.stderr + result.stdout);
  const timeline = await timelineOf(client);
  for (const name of ["10-clone", "20-build", "own"]) t.is(timeline.get(name)?.status, "completed", name);
  t.true(timeline.get("20-build")!.started! >= timeline.get("10-clone")!.finished!);
  t.true(timeline.get("own")!.started! >= timeline.get("20-build")!.finished!);
  t.is(readFileSync(join(dir, "clone.attempts"), "utf8"), "x\nx\n");
  t.regex(readFileSync(join(dir, "logs", "20-build.sh.log"), "utf8"), /built/);
});

test("up --dir: a header with an error starts nothing", async (t) => {
  const dir = tempDir(t);
  const folder = join(dir, "startup");
  const { mkdirSync, chmodSync } = await import("node:fs");
  mkdirSync(folder);
  writeFileSync(join(folder, "10-a.sh"), `#!/bin/sh\n# unitsync: ready=tcp:0 aftr=x\ntouch ${dir}/ran\n`);
  chmodSync(join(folder, "10-a.sh"), 0o755);
  const socket = join(dir, "up.sock");
  const result = await cli(["up", "--dir", folder, "--socket", socket], hermetic(dir));
  t.is(result.code, 1);
  t.regex(result.stderr, /10-a\.sh:2:19: readiness check tcp:0: "0" is not a port/);
  t.regex(result.stderr, /10-a\.sh:2:25: unknown key "aftr" in unit "10-a"; did you mean "after"\?/);
  t.regex(result.stderr, /unitsync: up: the scripts' headers have errors; nothing was started\n$/);
  t.false(existsSync(socket));
  t.false(existsSync(join(dir, "ran")));
});

test("SIGTERM during start-up: the running step is stopped, waiting units are not run, exit 143, no process left", async (t) => {
  const dir = tempDir(t);
  const file = writePlan(
    dir,
    ["units:", `  slow: { run: "echo $$ > ${dir}/slow.pid; touch ${dir}/slow-running; exec sleep 30" }`, '  next: { run: "true", after: [slow] }'].join("\n"),
  );
  const up = spawnCli(["up", "-f", file, "--grace", "1s", "--socket", join(dir, "up.sock"), "--log-dir", join(dir, "logs")], hermetic(dir));
  t.teardown(() => up.child.kill("SIGKILL"));
  const { fileAppears } = await import("./helpers/ops.js");
  await fileAppears(join(dir, "slow-running"));
  up.child.kill("SIGTERM");
  const result = await ends(up.done);
  t.is(result.code, 143, result.stderr);
  t.regex(result.stdout, /\nstart-up interrupted by SIGTERM\n$/);
  t.regex(result.stdout, /^next +failed .*not run/m);
  t.notRegex(result.stdout, /start-up complete/);
  t.true(groupGone(Number(readFileSync(join(dir, "slow.pid"), "utf8"))));
});

test("after start-up, up supervises the services until they exit, then exits 0 (1 if one failed)", async (t) => {
  const { socketPath, dir } = await withAgent(t);
  // Each service is ready at once, then exits when its file appears.
  const service = (name: string, code: number) =>
    `  ${name}: { run: "touch ${dir}/${name}-ready; until [ -e ${dir}/stop ]; do sleep 0.05; done; exit ${code}", ready: "file:${dir}/${name}-ready" }`;
  const file = writePlan(dir, ["units:", service("web", 0), service("worker", 0), `  stopper: { run: "touch ${dir}/stop", after: [web, worker] }`].join("\n"));
  const ok = await cli(["up", "-f", file, "--socket", socketPath, "--log-dir", join(dir, "logs")], hermetic(dir));
  t.is(ok.code, 0, ok.stderr);
  t.regex(ok.stderr, /service web exited with 0/);
  t.regex(ok.stderr, /service worker exited with 0/);
  const { rmSync } = await import("node:fs");
  for (const f of ["stop", "web-ready", "worker-ready"]) rmSync(join(dir, f), { force: true });
  const failing = writePlan(dir, ["units:", service("web", 0), service("worker", 3), `  stopper: { run: "touch ${dir}/stop", after: [web, worker] }`].join("\n"));
  const bad = await cli(["up", "-f", failing, "--socket", socketPath, "--log-dir", join(dir, "logs2")], hermetic(dir));
  t.is(bad.code, 1, bad.stderr);
  t.regex(bad.stdout, /start-up complete in /);
  t.regex(bad.stderr, /service worker exited with 3/);
});

test("SIGTERM to up while --then's command runs: the command gets it first, then the services stop in reverse order, exit 143", async (t) => {
  const dir = tempDir(t);
  const file = chainedServices(dir);
  const then = `trap 'echo then $(date +%s%N) >> ${dir}/exits; exit 0' TERM; touch ${dir}/then-running; while :; do sleep 0.05; done`;
  const up = spawnCli(["up", "-f", file, "--grace", "10s", "--socket", join(dir, "up.sock"), "--log-dir", join(dir, "logs"), "--then", "sh", "-c", then], hermetic(dir));
  t.teardown(() => up.child.kill("SIGKILL"));
  const { fileAppears } = await import("./helpers/ops.js");
  await fileAppears(join(dir, "then-running"));
  up.child.kill("SIGTERM");
  const result = await ends(up.done);
  t.is(result.code, 143, result.stderr);
  t.regex(result.stdout, /\nservices stopped on SIGTERM\n$/);
  t.deepEqual(readFileSync(join(dir, "exits"), "utf8").trim().split("\n").map((l) => l.split(" ")[0]), ["then", "web", "api", "db"]);
});
