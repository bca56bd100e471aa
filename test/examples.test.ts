// End to end in bash: every script in examples/ runs in parallel against a real agent process, ordered by the
// agent (checked from its timeline); and coder's documented scripts work with `coder exp sync` swapped for `unitsync`.
import test from "ava";
import { accessSync, constants, existsSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import type { UnitSyncClient } from "../src/client/client.js";
import { UnitStatus } from "../gen/unitsync/v1/unitsync_pb.js";
import { tempDir } from "./helpers/agent.js";
import { type AgentProcess, ms, withAgentProcess } from "./helpers/agent-process.js";
import { BIN, spawnProcess } from "./helpers/cli.js";
import { EXAMPLES, EXAMPLE_GRAPH } from "./helpers/examples.js";
import type { ExecutionContext } from "ava";

const GRAPH = EXAMPLE_GRAPH;

/** Environment of a start-up script: `unitsync` on PATH (a symlink to the installed command) and the socket. */
function scriptEnv(t: ExecutionContext, agent: AgentProcess): Record<string, string> {
  const bin = tempDir(t);
  symlinkSync(BIN, join(bin, "unitsync"));
  return {
    PATH: [bin, dirname(process.execPath), process.env.PATH ?? ""].join(delimiter),
    UNITSYNC_SOCKET: agent.socketPath,
  };
}

async function unitWaiting(client: UnitSyncClient, unit: string): Promise<void> {
  const until = Date.now() + 50_000; // a bound for a hang only (ava's own timeout is 60 s of inactivity)
  while (!(await client.getUnit({ unit })).unit?.waiting) {
    if (Date.now() > until) throw new Error(`${unit} never started waiting`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test("every example is an executable bash script with strict mode that uses unitsync from PATH", (t) => {
  const scripts = readdirSync(EXAMPLES).filter((f) => f.endsWith(".sh"));
  t.deepEqual(scripts.map((s) => s.replace(/\.sh$/, "")).sort(), Object.keys(GRAPH).sort());
  const readme = readFileSync(join(EXAMPLES, "README.md"), "utf8");
  for (const script of scripts) {
    const path = join(EXAMPLES, script);
    t.notThrows(() => accessSync(path, constants.X_OK), `${script} is executable`);
    const text = readFileSync(path, "utf8");
    t.true(text.startsWith("#!/usr/bin/env bash\n"), script);
    t.regex(text, /^set -euo pipefail$/m, script);
    t.regex(text, /^unitsync (start|want|run) /m, script);
    t.notRegex(text, /--socket|\.sock\b|bin\/unitsync/, `${script} takes the socket from UNITSYNC_SOCKET`);
    t.true(readme.includes(`\`${script}\``), `README explains ${script}`);
  }
  t.regex(readFileSync(join(EXAMPLES, "dotfiles.sh"), "utf8"), /^trap 'unitsync complete dotfiles' EXIT$/m);
  const appBuild = readFileSync(join(EXAMPLES, "app-build.sh"), "utf8");
  t.regex(appBuild, /^DEPENDENCIES="[^"]+,[^"]+"$/m);
  t.regex(appBuild, /IFS=',' read -ra DEPS/);
  t.regex(appBuild, /unitsync want "\$UNIT_NAME" "\$dep"/);
});

// Serial: ten scripts at once are the heaviest test here; the others wait on single scripts.
test.serial("all examples run in parallel; every unit starts only after each of its dependencies finished", async (t) => {
  const agent = await withAgentProcess(t);
  const cwd = tempDir(t);
  // Not created yet: the scripts create it.
  const workspace = join(cwd, "workspace");
  const env = { ...scriptEnv(t, agent), WORKSPACE: workspace };
  const scripts = Object.keys(GRAPH).map((unit) => ({ unit, run: spawnProcess(join(EXAMPLES, `${unit}.sh`), [], env, cwd) }));
  const results = await Promise.all(scripts.map(async ({ unit, run }) => ({ unit, ...(await run.done) })));

  for (const { unit, code, stdout, stderr } of results) {
    t.is(code, 0, `${unit}.sh: ${stderr}`);
    t.regex(stdout, new RegExp(`^${unit}: `, "m"), `${unit}.sh echoes progress`);
  }

  const { entries } = await agent.client.getTimeline({});
  const byName = new Map(entries.map((e) => [e.unit, e]));
  t.deepEqual([...byName.keys()].sort(), Object.keys(GRAPH).sort());
  let waited = 0;
  for (const [unit, dependencies] of Object.entries(GRAPH)) {
    const entry = byName.get(unit)!;
    t.is(entry.status, UnitStatus.COMPLETED, unit);
    const declared = (await agent.client.getUnit({ unit })).unit!.dependencies.map((d) => d.dependsOn).sort();
    t.deepEqual(declared, dependencies, `${unit} declares its dependencies`);
    const started = ms(entry.startedAt, `${unit} started`);
    t.true(started <= ms(entry.finishedAt, `${unit} finished`), unit);
    for (const dependency of dependencies) {
      const finished = ms(byName.get(dependency)!.finishedAt, `${dependency} finished`);
      t.true(started >= finished, `${unit} started at ${started}, before ${dependency} finished at ${finished}`);
      if (ms(entry.startRequestedAt, `${unit} requested`) < finished) waited++;
    }
  }
  // The scripts really overlapped: some unit asked to start before its dependency was done, and was held.
  t.true(waited > 0, "no unit ever had to wait; the scripts did not run in parallel");

  // The two apt scripts held the dpkg lock one after the other (their stand-ins would have failed otherwise).
  const [first, second] = ["apt-tools", "apt-editors"]
    .map((unit) => byName.get(unit)!)
    .sort((a, b) => ms(a.lockGrantedAt, "granted") - ms(b.lockGrantedAt, "granted"));
  t.deepEqual([first!.locks, second!.locks], [["dpkg"], ["dpkg"]]);
  t.true(ms(second!.lockGrantedAt, "second granted") >= ms(first!.lockReleasedAt, "first released"));

  // The work itself happened in dependency order.
  t.is(readFileSync(join(workspace, "dist/app.js"), "utf8"), 'export const main = () => "hello";\n');
  t.true(existsSync(join(workspace, "repo/node_modules/left-pad/index.js")));
  t.true(existsSync(join(workspace, "ide.ready")));
  t.true(existsSync(join(workspace, "home/.bashrc")));
});

// Verbatim from coder's "startup-coordination/usage" documentation, "Single Dependency".
const CODER_SINGLE_DEPENDENCY = `#!/bin/bash
UNIT_NAME="my-setup"

# Declare dependency on git-clone
coder exp sync want "$UNIT_NAME" "git-clone"

# Wait for dependencies and mark as started
coder exp sync start "$UNIT_NAME"

# Do your work here
echo "Running after git-clone completes"

# Signal completion
coder exp sync complete "$UNIT_NAME"
`;

// Verbatim from the same page, "Multiple Dependencies".
const CODER_MULTIPLE_DEPENDENCIES = `#!/bin/bash
UNIT_NAME="my-app"
DEPENDENCIES="git-clone,env-setup,database-migration"

# Declare all dependencies
if [ -n "$DEPENDENCIES" ]; then
  IFS=',' read -ra DEPS <<< "$DEPENDENCIES"
  for dep in "\${DEPS[@]}"; do
    dep=$(echo "$dep" | xargs)  # Trim whitespace
    if [ -n "$dep" ]; then
      coder exp sync want "$UNIT_NAME" "$dep"
    fi
  done
fi

# Wait for all dependencies
coder exp sync start "$UNIT_NAME"

# Your work here
echo "All dependencies satisfied, starting application"

# Signal completion
coder exp sync complete "$UNIT_NAME"
`;

function asUnitsync(t: ExecutionContext, script: string): string {
  const path = join(tempDir(t), "script.sh");
  writeFileSync(path, script.replaceAll("coder exp sync", "unitsync"));
  return path;
}

test("coder's single-dependency script works with the command swapped, released by another process", async (t) => {
  const agent = await withAgentProcess(t);
  const script = spawnProcess("bash", [asUnitsync(t, CODER_SINGLE_DEPENDENCY)], scriptEnv(t, agent));
  await unitWaiting(agent.client, "my-setup");
  t.is(script.child.exitCode, null);
  for (const argv of [["start", "git-clone"], ["complete", "git-clone"]]) {
    const result = await agent.run(argv);
    t.is(result.code, 0, result.stderr);
  }
  const { code, stdout, stderr } = await script.done;
  t.is(code, 0, stderr);
  // unitsync's own notes (the dependency as it completed, how long it waited) are on stderr only.
  // (A slow machine may also see the notice that nobody registered git-clone yet.)
  const notes = stderr.trimEnd().split("\n");
  t.true(notes.includes('Dependency "git-clone" completed'), stderr);
  for (const note of notes) {
    t.regex(note, /^(Dependency "git-clone" completed|waited \S+|Unit "my-setup" is waiting for "git-clone", which no unit has registered)$/);
  }
  const lines = stdout.trimEnd().split("\n");
  t.is(lines[0], 'Unit "my-setup" declared dependencies: [git-clone]');
  t.is(lines[1], 'Unit "my-setup" is waiting for dependencies to be satisfied: [git-clone]');
  const finished = lines.findIndex((l) => l.startsWith('Unit "my-setup" finished waiting for dependencies: [git-clone]'));
  t.true(finished > 1, stdout);
  t.is(lines[finished + 1], "Running after git-clone completes");
  t.is(lines.at(-1), "Success");
  t.regex((await agent.run(["status", "my-setup"])).stdout, /^Status: completed$/m);
});

test("coder's comma-separated multiple-dependency script works with the command swapped", async (t) => {
  const agent = await withAgentProcess(t);
  const script = spawnProcess("bash", [asUnitsync(t, CODER_MULTIPLE_DEPENDENCIES)], scriptEnv(t, agent));
  await unitWaiting(agent.client, "my-app");
  for (const unit of ["database-migration", "env-setup", "git-clone"]) {
    t.is(script.child.exitCode, null, `my-app ran before ${unit} completed`);
    t.is((await agent.run(["start", unit])).code, 0);
    t.is((await agent.run(["complete", unit])).code, 0);
  }
  const { code, stdout, stderr } = await script.done;
  t.is(code, 0, stderr);
  for (const dep of ["git-clone", "env-setup", "database-migration"]) {
    t.true(stdout.includes(`Unit "my-app" declared dependencies: [${dep}]\n`), stdout);
  }
  t.regex(stdout, /^Unit "my-app" finished waiting for dependencies: \[database-migration, env-setup, git-clone\]\nAll dependencies satisfied, starting application\nSuccess\n$/m);
  const status = JSON.parse((await agent.run(["status", "my-app", "-o", "json"])).stdout);
  t.is(status.status, "completed");
  t.deepEqual(
    status.dependencies.map((d: { depends_on: string }) => d.depends_on),
    ["database-migration", "env-setup", "git-clone"],
  );
});

// The quick start of coder's documentation, in its set -e form: a second run must succeed as in coder.
const CODER_QUICK_START = `#!/bin/bash
set -e
coder exp sync want install-dependencies git-clone
coder exp sync start install-dependencies
echo "Installing dependencies"
coder exp sync complete install-dependencies
`;

test("coder's quick-start and multiple-dependency scripts re-run against the same agent: exit 0 each time, attempt 2, both attempts in the timeline", async (t) => {
  const agent = await withAgentProcess(t);
  const env = scriptEnv(t, agent);
  for (const unit of ["git-clone", "env-setup", "database-migration"]) {
    t.is((await agent.run(["start", unit])).code, 0);
    t.is((await agent.run(["complete", unit])).code, 0);
  }
  const scripts = { "install-dependencies": asUnitsync(t, CODER_QUICK_START), "my-app": asUnitsync(t, CODER_MULTIPLE_DEPENDENCIES) };
  for (const run of [1, 2]) {
    for (const [unit, path] of Object.entries(scripts)) {
      const { code, stdout, stderr } = await spawnProcess("bash", [path], env).done;
      t.is(code, 0, `run ${run} of ${unit}: ${stderr}`);
      t.regex(stdout, /^Success$/m);
      const status = JSON.parse((await agent.run(["status", unit, "-o", "json"])).stdout);
      t.is(status.status, "completed", unit);
      t.is(status.attempt, run === 1 ? undefined : run, `${unit}: attempt shows from the second on`);
    }
  }
  const { entries } = await agent.client.getTimeline({});
  for (const unit of Object.keys(scripts)) {
    const entry = entries.find((e) => e.unit === unit)!;
    t.is(entry.attempt, 2);
    t.deepEqual(entry.attempts.map((a) => [a.number, a.status]), [
      [1, UnitStatus.COMPLETED],
      [2, UnitStatus.COMPLETED],
    ]);
  }
  const text = (await agent.run(["timeline"])).stdout;
  t.regex(text, /^install-dependencies\s+1\s+completed\s/m);
  t.regex(text, /^install-dependencies\s+2\s+completed\s/m);
  const json = JSON.parse((await agent.run(["timeline", "-o", "json"])).stdout);
  t.deepEqual(json.units.find((u: { unit: string }) => u.unit === "my-app").attempts.map((a: { attempt: number }) => a.attempt), [1, 2]);
});

test("a re-run whose dependency is pending again waits for it, pushed, and starts when it completes", async (t) => {
  const agent = await withAgentProcess(t);
  for (const argv of [["want", "app", "db"], ["start", "db"], ["complete", "db"], ["start", "app"], ["complete", "app"], ["start", "db"]]) {
    t.is((await agent.run(argv)).code, 0, argv.join(" "));
  }
  const rerun = spawnProcess(process.execPath, [BIN, "start", "app"], { UNITSYNC_SOCKET: agent.socketPath });
  await unitWaiting(agent.client, "app");
  t.like((await agent.client.getUnit({ unit: "app" })).unit, { status: UnitStatus.PENDING, attempt: 2 });
  t.is((await agent.run(["complete", "db"])).code, 0);
  const { code, stdout, stderr } = await rerun.done;
  t.is(code, 0, stderr);
  t.is(stdout.split("\n")[0], 'Unit "app" is waiting for dependencies to be satisfied: [db]');
  t.like((await agent.client.getUnit({ unit: "app" })).unit, { status: UnitStatus.STARTED, attempt: 2 });
});
