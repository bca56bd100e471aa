// `unitsync up` as a real process: folders of small scripts run in parallel under an agent, logs, summary, --serve.
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import { connect } from "../src/client/client.js";
import { eventually, tempDir, withAgent } from "./helpers/agent.js";
import { type CliResult, cli, spawnCli } from "./helpers/cli.js";
import { EXAMPLES, EXAMPLE_GRAPH } from "./helpers/examples.js";
import { fileAppears, outputMatches, writeScript } from "./helpers/ops.js";

/** Waits for `up` to end, failing clearly (instead of at the suite's timeout) if it does not within `limitMs`. */
function ends(done: Promise<CliResult>, limitMs = 45_000): Promise<CliResult> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`up did not end within ${limitMs} ms`)), limitMs)));
  return Promise.race([done, limit]).finally(() => clearTimeout(timer));
}

/** Starts `unitsync up …` as a real process, killed at the end of the test should it still run. */
function spawnUp(t: ExecutionContext, argv: string[], env: Record<string, string | undefined> = {}) {
  const up = spawnCli(["up", ...argv], env);
  t.teardown(() => up.child.kill("SIGKILL"));
  return up;
}

/** a → b → c, each a one-line script using `unitsync` from PATH; a README and a sub-folder that are not scripts. */
function chainFolder(dir: string): string {
  const scripts = join(dir, "scripts");
  mkdirSync(join(scripts, "sub.d"), { recursive: true });
  // a finishes only once b waits for it, so b's waiting output is there however loaded the machine.
  writeScript(scripts, "10-a", `echo hello from a\nexec unitsync run a -- sh -c 'until unitsync status b 2>&1 | grep -q "^Waiting:"; do sleep 0.05; done'`);
  writeScript(scripts, "20-b", "exec unitsync run b --after a -- echo b ran");
  writeScript(scripts, "30-c", "exec unitsync run c --after b -- true");
  writeScript(scripts, "README", `touch ${join(dir, "readme-ran")}`, 0o644);
  return scripts;
}

/** The `unit status` transitions `up` printed on stderr, in the order the agent pushed them. */
const transitions = (stderr: string) => [...stderr.matchAll(/^\+\S+\s+(\S+) (pending|started|completed|failed)\b/gm)].map((m) => `${m[1]} ${m[2]}`);

/** The position of a transition ("a completed") in what `up` printed; fails the test when absent. */
function positionIn(t: ExecutionContext, stderr: string): (what: string) => number {
  const seen = transitions(stderr);
  return (what) => {
    const index = seen.indexOf(what);
    t.not(index, -1, `${what} in ${seen.join(", ")}`);
    return index;
  };
}

test("up --dir runs every script in parallel in dependency order, with a log each, and exits 0", async (t) => {
  const dir = tempDir(t);
  const scripts = chainFolder(dir);
  const logs = join(dir, "logs");
  const result = await ends(spawnUp(t, ["--dir", scripts, "--log-dir", logs, "--socket", join(dir, "up.sock")]).done);
  t.is(result.code, 0, result.stderr);

  const at = positionIn(t, result.stderr);
  t.true(at("a completed") < at("b started"));
  t.true(at("b completed") < at("c started"));
  t.true(at("c started") < at("c completed"));

  t.regex(result.stdout, /^Scripts:\nSCRIPT\s+EXIT\s+TIME\s+LOG\n10-a\s+0\s.*\n20-b\s+0\s.*\n30-c\s+0\s.*\n/m);
  for (const unit of ["a", "b", "c"]) t.regex(result.stdout, new RegExp(`^${unit}\\s+completed\\s+ok$`, "m"));
  t.regex(result.stdout, /^Critical chain /m, "the timeline follows the summary");
  t.regex(result.stdout, /\nstart-up complete in \S+\n$/);

  t.deepEqual(readdirSync(logs).filter((f) => f.endsWith(".log")).sort(), ["10-a.log", "20-b.log", "30-c.log", "agent.log"]);
  t.regex(readFileSync(join(logs, "10-a.log"), "utf8"), /^hello from a\n/);
  const b = readFileSync(join(logs, "20-b.log"), "utf8");
  t.regex(b, /Unit "b" is waiting for dependencies to be satisfied: \[a\]/);
  t.regex(b, /^b ran$/m);
  t.regex(result.stdout, new RegExp(`20-b\\s+0\\s+\\S+\\s+${join(logs, "20-b.log")}`));
  t.false(existsSync(join(dir, "readme-ran")), "a non-executable README is not run");
  t.false(/README|sub\.d/.test(result.stdout), "only executable files count as scripts");
  t.false(existsSync(join(dir, "up.sock")), "the agent up started is gone");
});

test("up uses an agent already serving on the socket, and the scripts' units carry their owner", async (t) => {
  const { client, socketPath, agent } = await withAgent(t);
  const dir = tempDir(t);
  const scripts = chainFolder(dir);
  const result = await ends(spawnUp(t, ["--dir", scripts, "--log-dir", join(dir, "logs")], { UNITSYNC_SOCKET: socketPath }).done);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, /agent on .* \(already running\)/);

  const timeline = await client.getTimeline({});
  const ms = (t?: { seconds: bigint; nanos: number }) => Number(t!.seconds) * 1000 + t!.nanos / 1e6;
  const entry = (name: string) => timeline.entries.find((e) => e.unit === name)!;
  t.true(ms(entry("a").finishedAt) <= ms(entry("b").startedAt), "b started after a completed");
  t.true(ms(entry("b").finishedAt) <= ms(entry("c").startedAt), "c started after b completed");
  for (const [unit, owner] of [["a", "10-a"], ["b", "20-b"], ["c", "30-c"]] as const) {
    t.is((await client.getUnit({ unit })).unit!.owner, owner, `${unit} is owned by the script that registered it`);
  }
  t.is((await client.ping({})).version, "test", "the agent keeps serving after up");
  t.false(agent.registry.list().some((u) => u.status !== "completed"));
});

test("up on a folder with a failing script exits non-zero at once and reports its dependents as not run", async (t) => {
  const dir = tempDir(t);
  const scripts = join(dir, "scripts");
  mkdirSync(scripts);
  // coder-style: start, then die before complete; the agent would otherwise hold "a" started forever.
  writeScript(scripts, "a.sh", "unitsync start a\necho working on a\nexit 3\nunitsync complete a");
  writeScript(scripts, "b.sh", "exec unitsync run b --after a -- true");
  writeScript(scripts, "c.sh", "exec unitsync run c --after b -- true");
  const result = await ends(spawnUp(t, ["--dir", scripts, "--log-dir", join(dir, "logs"), "--socket", join(dir, "up.sock")]).done);
  t.is(result.code, 1, result.stderr);
  t.regex(result.stdout, /\nstart-up failed\n$/);
  t.regex(result.stdout, /^a\.sh\s+3\s/m);
  t.regex(result.stdout, /^b\.sh\s+5\s/m, "b's run exited 5: a dependency failed");
  t.regex(result.stdout, /^c\.sh\s+5\s/m);
  t.regex(result.stdout, /^a\s+failed\s+script a\.sh exited with status 3$/m);
  t.regex(result.stdout, /^b\s+failed\s+not run: dependency "a" failed: script a\.sh exited with status 3$/m);
  t.regex(result.stdout, /^c\s+failed\s+not run: dependency "(a|b)" failed/m);
  t.notRegex(result.stdout, /timeout/, "nobody waited for the timeout");
  t.regex(result.stderr, /script a\.sh exited with 3, see .*a\.sh\.log/);
});

test("a script killed by a signal is reported with exit 128+n and fails its units", async (t) => {
  const dir = tempDir(t);
  const scripts = join(dir, "scripts");
  mkdirSync(scripts);
  writeScript(scripts, "killed.sh", "unitsync start k\nkill -KILL $$");
  const result = await ends(spawnUp(t, ["--dir", scripts, "--log-dir", join(dir, "logs"), "--socket", join(dir, "up.sock")]).done);
  t.is(result.code, 1, result.stderr);
  t.regex(result.stdout, /^killed\.sh\s+137\s/m);
  t.regex(result.stdout, /^k\s+failed\s+script killed\.sh exited with status 137$/m);
});

test("up takes scripts as arguments too", async (t) => {
  const dir = tempDir(t);
  const one = writeScript(dir, "one", "exec unitsync run one -- true");
  const two = writeScript(dir, "two", "exec unitsync run two --after one -- true");
  const result = await ends(spawnUp(t, [one, two, "--log-dir", join(dir, "logs"), "--socket", join(dir, "up.sock")]).done);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^one\s+completed\s+ok$/m);
  t.regex(result.stdout, /^two\s+completed\s+ok$/m);
});

/** Whether process `pid` still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}

for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130], ["SIGHUP", 129]] as const) {
  test(`${signal} to up reaches the scripts and their children, then up reports, removes its socket and exits ${code}`, async (t) => {
    const dir = tempDir(t);
    const socket = join(dir, "up.sock");
    const scripts = join(dir, "scripts");
    mkdirSync(scripts);
    const pidFile = join(dir, "sleep.pid");
    // The script's shell waits for run, which waits for sleep: the signal must reach all three.
    writeScript(scripts, "slow", `unitsync run slow -- sh -c 'echo $$ > ${pidFile}.tmp; mv ${pidFile}.tmp ${pidFile}; exec sleep 30'\necho slow done`);
    writeScript(scripts, "later", "exec unitsync run later --after slow -- true");
    const up = spawnUp(t, ["--dir", scripts, "--log-dir", join(dir, "logs"), "--socket", socket]);
    await fileAppears(pidFile, 45_000);
    const pid = Number(readFileSync(pidFile, "utf8"));
    t.teardown(() => {
      if (alive(pid)) process.kill(pid, "SIGKILL");
    });
    await outputMatches(up, /later pending/, "stderr");

    up.child.kill(signal);
    const result = await ends(up.done);
    t.is(result.code, code, result.stderr);
    t.regex(result.stderr, new RegExp(`${signal} received`));
    t.regex(result.stdout, /^slow\s+\d+\s/m, "the summary lists the script with its exit status");
    t.regex(result.stdout, /^slow\s+failed\s/m);
    t.regex(result.stdout, /^later\s+failed\s/m, "no unit is left pending or started");
    t.regex(result.stdout, new RegExp(`\\nstart-up interrupted by ${signal}\\n$`));
    t.false(existsSync(socket), "the agent up started is gone");
    await eventually(() => !alive(pid), "the script's sleep to end", 20_000);
  });
}

test("up with nothing to run is a usage error", async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, "up.sock");
  const empty = join(dir, "empty");
  mkdirSync(empty);
  let result = await cli(["up", "--dir", empty, "--socket", socket]);
  t.is(result.code, 2);
  t.regex(result.stderr, /^unitsync: up: no executable scripts in .*empty\n$/);

  const readmeOnly = join(dir, "readme-only");
  mkdirSync(readmeOnly);
  writeScript(readmeOnly, "README.md", "echo not a script", 0o644);
  result = await cli(["up", "--dir", readmeOnly, "--socket", socket]);
  t.is(result.code, 2, "non-executable files do not count");

  result = await cli(["up", "--socket", socket]);
  t.is(result.code, 2);
  t.regex(result.stderr, /no executable scripts given/);

  result = await cli(["up", "--dir", join(dir, "missing"), "--socket", socket]);
  t.is(result.code, 2);
  t.regex(result.stderr, /no such directory/);

  const [a, b] = [join(dir, "a"), join(dir, "b")];
  mkdirSync(a);
  mkdirSync(b);
  result = await cli(["up", writeScript(a, "setup", "true"), writeScript(b, "setup", "true"), writeScript(b, "other", "true"), "--socket", socket]);
  t.is(result.code, 2, "two scripts named setup would share a log and their units' owner");
  t.regex(result.stderr, /^unitsync: up: more than one script is named "setup": .*\/a\/setup, .*\/b\/setup/m);

  result = await cli(["up", join(readmeOnly, "README.md"), "--socket", socket]);
  t.is(result.code, 2);
  t.regex(result.stderr, /README\.md is not an executable file/);
  t.false(existsSync(socket), "no agent was started");
});

test("up --serve keeps the agent serving after the scripts until SIGTERM", async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, "up.sock");
  const scripts = join(dir, "scripts");
  mkdirSync(scripts);
  writeScript(scripts, "db", "exec unitsync run db -- true");
  const up = spawnUp(t, ["--serve", "--dir", scripts, "--log-dir", join(dir, "logs"), "--socket", socket]);
  await outputMatches(up, /agent still serving on .*up\.sock; Ctrl-C to stop/, "stderr", 45_000);
  await outputMatches(up, /start-up complete/); // stdout and stderr arrive through separate pipes, in either order

  const client = connect(socket);
  t.teardown(() => client.close());
  const units = (await client.listUnits({})).units.map((u) => u.name);
  t.deepEqual(units, ["db"], "the agent answers with the scripts' units");
  t.is((await cli(["want", "later", "db", "--socket", socket])).code, 0, "and takes new work");
  t.is(up.child.exitCode, null, "up is still running");

  up.child.kill("SIGTERM");
  const result = await ends(up.done);
  t.is(result.code, 0, result.stderr);
  t.false(existsSync(socket), "the agent removed its socket");
  t.is((await cli(["ping", "--socket", socket])).code, 3);
});

test("up --serve with an agent already running says it keeps serving, and returns", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const dir = tempDir(t);
  const scripts = join(dir, "scripts");
  mkdirSync(scripts);
  writeScript(scripts, "db", "exec unitsync run db -- true");
  const result = await ends(spawnUp(t, ["--serve", "--dir", scripts, "--log-dir", join(dir, "logs")], { UNITSYNC_SOCKET: socketPath }).done);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stderr, /the agent already running on .*agent\.sock keeps serving/);
  t.notRegex(result.stderr, /Ctrl-C/, "up does not offer to stop an agent it does not own");
  t.is((await client.ping({})).version, "test", "the agent keeps serving");
});

test("up --dir examples (the README's first command) exits 0 with every unit after its dependencies", async (t) => {
  const dir = tempDir(t);
  const result = await ends(spawnUp(t, ["--dir", EXAMPLES, "--log-dir", join(dir, "logs"), "--socket", join(dir, "up.sock")], { WORKSPACE: join(dir, "ws") }).done);
  t.is(result.code, 0, result.stderr);
  const at = positionIn(t, result.stderr);
  for (const [unit, deps] of Object.entries(EXAMPLE_GRAPH)) {
    for (const dep of deps) t.true(at(`${dep} completed`) < at(`${unit} started`), `${unit} started after ${dep} completed`);
    t.regex(result.stdout, new RegExp(`^${unit}\\s+completed\\s+ok$`, "m"));
  }
  t.regex(result.stdout, /\nstart-up complete in \S+\n$/);
});
