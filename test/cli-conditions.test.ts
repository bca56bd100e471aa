// Dependency conditions: `want --on completed|started|finished` as status shows them and start honours them.
import test from "ava";
import { eventually, withAgent } from "./helpers/agent.js";
import { cli } from "./helpers/cli.js";

test("want --on records the condition per edge and status shows it as the required status", async (t) => {
  const { socketPath } = await withAgent(t);
  const s = ["--socket", socketPath];
  const started = await cli(["want", "ide", "git-clone", ...s, "--on", "started"]);
  t.is(started.code, 0, started.stderr);
  t.is(started.stdout, 'Unit "ide" declared dependencies: [git-clone] (on started)\n');
  const finished = await cli(["want", "ide", "tests", "--on", "finished", ...s]);
  t.is(finished.stdout, 'Unit "ide" declared dependencies: [tests] (on finished)\n');
  const plain = await cli(["want", "ide", "env-setup", ...s]);
  t.is(plain.stdout, 'Unit "ide" declared dependencies: [env-setup]\n');

  const json = await cli(["status", "ide", "-o", "json", ...s]);
  t.is(json.code, 0, json.stderr);
  t.deepEqual(
    JSON.parse(json.stdout).dependencies.map((d: any) => [d.depends_on, d.required_status, d.current_status, d.is_satisfied]),
    // Sorted by name, and "" for a name nobody registered, as coder's JSON has them.
    [
      ["env-setup", "completed", "", false],
      ["git-clone", "started", "", false],
      ["tests", "finished", "", false],
    ],
  );
  const table = await cli(["status", "ide", ...s]);
  t.regex(table.stdout, /^DEPENDS ON\s+REQUIRED STATUS\s+CURRENT STATUS\s+SATISFIED$/m);
  t.regex(table.stdout, /^git-clone\s+started\s+not registered\s+false$/m);
  t.regex(table.stdout, /^tests\s+finished\s+not registered\s+false$/m);
  t.regex(table.stdout, /^env-setup\s+completed\s+not registered\s+false$/m);
});

test("a started edge is met when the dependency starts: the waiting start returns while it still runs", async (t) => {
  const { agent, socketPath } = await withAgent(t);
  const s = ["--socket", socketPath];
  t.is((await cli(["want", "ide", "server", "--on", "started", ...s])).code, 0);
  const waiting = cli(["start", "ide", ...s]);
  await eventually(() => agent.registry.get("ide").waiting, "ide to wait for server");
  t.is((await cli(["start", "server", ...s])).code, 0);
  const result = await waiting;
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, /Dependency "server" started/);
  const status = JSON.parse((await cli(["status", "ide", "-o", "json", ...s])).stdout);
  t.is(status.status, "started");
  t.deepEqual(status.dependencies, [{ depends_on: "server", required_status: "started", current_status: "started", is_satisfied: true }]);
});

test("a started edge is not met by a pending dependency", async (t) => {
  const { socketPath } = await withAgent(t);
  const s = ["--socket", socketPath];
  t.is((await cli(["want", "ide", "server", "--on", "started", ...s])).code, 0);
  t.is((await cli(["want", "server", "config", ...s])).code, 0);
  const result = await cli(["start", "ide", "--timeout", "300ms", ...s]);
  t.is(result.code, 4, "server is registered but pending, so ide times out");
  t.regex(result.stderr, /timeout waiting for dependencies of unit 'ide'.*\[server\]/);
});

test("a finished edge is met by a failed dependency and is not blocked by it", async (t) => {
  const { agent, socketPath } = await withAgent(t);
  const s = ["--socket", socketPath];
  t.is((await cli(["want", "cleanup", "build", "--on", "finished", ...s])).code, 0);
  t.is((await cli(["want", "deploy", "build", ...s])).code, 0);
  t.is((await cli(["start", "build", ...s])).code, 0);
  const waiting = cli(["start", "cleanup", ...s]);
  await eventually(() => agent.registry.get("cleanup").waiting, "cleanup to wait for build");

  const failed = await cli(["fail", "build", "--reason", "compiler crashed", ...s]);
  t.is(failed.code, 0, failed.stderr);
  t.is(failed.stdout, 'Unit "build" failed; blocked dependents: [deploy]\n', "only the completed edge is blocked");
  const result = await waiting;
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, /Dependency "build" failed/);

  const cleanup = JSON.parse((await cli(["status", "cleanup", "-o", "json", ...s])).stdout);
  t.is(cleanup.status, "started");
  t.false("blocked_by" in cleanup);
  t.deepEqual(cleanup.dependencies, [{ depends_on: "build", required_status: "finished", current_status: "failed", is_satisfied: true }]);

  const deploy = await cli(["status", "deploy", ...s]);
  t.regex(deploy.stdout, /^Blocked by: build failed: compiler crashed$/m);
  const startDeploy = await cli(["start", "deploy", ...s]);
  t.is(startDeploy.code, 5, "a completed edge on a failed dependency can never be met");
  t.regex(startDeploy.stderr, /dependency "build" failed: compiler crashed/);
});

test("a finished edge is also met by a completed dependency; a pending unit behind it reads ready", async (t) => {
  const { socketPath } = await withAgent(t);
  const s = ["--socket", socketPath];
  t.is((await cli(["want", "report", "tests", "--on", "finished", ...s])).code, 0);
  t.is((await cli(["start", "tests", ...s])).code, 0);
  t.is((await cli(["complete", "tests", ...s])).code, 0);
  const status = JSON.parse((await cli(["status", "report", "-o", "json", ...s])).stdout);
  t.is(status.is_ready, true);
  t.true(status.dependencies[0].is_satisfied);
  const result = await cli(["start", "report", ...s]);
  t.is(result.code, 0, result.stderr);
  t.is(result.stdout, 'Unit "report" started immediately, dependencies already satisfied: [tests]\n');
});

test("want --on with an unknown condition is a usage error and declares nothing", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const result = await cli(["want", "ide", "git-clone", "--on", "done", "--socket", socketPath]);
  t.is(result.code, 2);
  t.is(result.stdout, "");
  t.is(result.stderr, "unitsync: --on done: unknown condition; use completed, started, finished\n");
  t.is((await client.listUnits({})).units.length, 0);
});
