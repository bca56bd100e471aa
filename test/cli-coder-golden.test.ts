// Coder's golden cases (cli/testdata/TestSyncCommands_Golden of coder/coder): the same seed, the
// same command, and stdout must equal coder's file byte for byte (its tables' trailing blanks aside).
import test, { type ExecutionContext } from "ava";
import { withAgent } from "./helpers/agent.js";
import { BIN, type CliResult, cli, spawnProcess } from "./helpers/cli.js";

type Run = (argv: string[]) => Promise<CliResult>;

async function setup(t: ExecutionContext): Promise<{ run: Run; socketPath: string }> {
  const { socketPath } = await withAgent(t);
  return { socketPath, run: (argv) => cli([...argv, "--socket-path", socketPath]) };
}

/** Coder's golden text with each line's trailing blanks removed, as unitsync prints tables. */
const golden = (text: string) => text.replace(/ +$/gm, "");

async function seed(run: Run, steps: string[][]): Promise<void> {
  for (const argv of steps) {
    const result = await run(argv);
    if (result.code !== 0) throw new Error(`${argv.join(" ")}: ${result.stderr}`);
  }
}

const CASES: { name: string; seed?: string[][]; args: string[]; golden: string }[] = [
  { name: "ping", args: ["ping"], golden: "Success\n" },
  { name: "start_no_dependencies", args: ["start", "test-unit"], golden: 'Unit "test-unit" started with no dependencies\n' },
  {
    name: "start_with_satisfied_dependencies",
    seed: [["want", "test-unit", "dep-unit"], ["want", "test-unit", "dep-unit-2"], ["start", "dep-unit"], ["complete", "dep-unit"], ["start", "dep-unit-2"], ["complete", "dep-unit-2"]],
    args: ["start", "test-unit"],
    golden: 'Unit "test-unit" started immediately, dependencies already satisfied: [dep-unit, dep-unit-2]\n',
  },
  { name: "want", args: ["want", "test-unit", "dep-unit"], golden: 'Unit "test-unit" declared dependencies: [dep-unit]\n' },
  { name: "want_multiple_deps", args: ["want", "test-unit", "dep-1", "dep-2", "dep-3"], golden: 'Unit "test-unit" declared dependencies: [dep-1, dep-2, dep-3]\n' },
  { name: "complete", seed: [["start", "test-unit"]], args: ["complete", "test-unit"], golden: "Success\n" },
  {
    name: "status_pending",
    seed: [["want", "test-unit", "dep-unit"]],
    args: ["status", "test-unit"],
    golden:
      "Unit: test-unit\nStatus: pending\nReady: false\n\nDependencies:\n" +
      "DEPENDS ON  REQUIRED STATUS  CURRENT STATUS  SATISFIED  \ndep-unit    completed        not registered  false      \n",
  },
  {
    name: "status_started",
    seed: [["start", "test-unit"]],
    args: ["status", "test-unit"],
    golden: "Unit: test-unit\nStatus: started\nReady: true\n\nDependencies:\nNo dependencies found\n",
  },
  {
    name: "status_completed",
    seed: [["start", "test-unit"], ["complete", "test-unit"]],
    args: ["status", "test-unit"],
    golden: "Unit: test-unit\nStatus: completed\nReady: true\n\nDependencies:\nNo dependencies found\n",
  },
  {
    name: "status_with_dependencies",
    seed: [["want", "test-unit", "dep-1"], ["want", "test-unit", "dep-2"], ["start", "dep-1"], ["complete", "dep-1"]],
    args: ["status", "test-unit"],
    golden:
      "Unit: test-unit\nStatus: pending\nReady: false\n\nDependencies:\n" +
      "DEPENDS ON  REQUIRED STATUS  CURRENT STATUS  SATISFIED  \n" +
      "dep-1       completed        completed       true       \n" +
      "dep-2       completed        not registered  false      \n",
  },
  {
    name: "status_json_format",
    seed: [["want", "test-unit", "dep-unit"], ["start", "dep-unit"], ["complete", "dep-unit"]],
    args: ["status", "test-unit", "--output", "json"],
    golden:
      '{\n  "unit_name": "test-unit",\n  "status": "pending",\n  "is_ready": true,\n  "dependencies": [\n    {\n' +
      '      "depends_on": "dep-unit",\n      "required_status": "completed",\n      "current_status": "completed",\n' +
      '      "is_satisfied": true\n    }\n  ]\n}\n',
  },
  { name: "list_no_units", args: ["list"], golden: "No units registered\n" },
  {
    name: "list_with_units",
    seed: [["start", "unit-a"], ["start", "unit-b"], ["complete", "unit-b"], ["want", "unit-c", "unit-a"]],
    args: ["list"],
    golden: "UNIT    STATUS     READY  \nunit-a  started    true   \nunit-b  completed  true   \nunit-c  pending    false  \n",
  },
  {
    name: "list_json_format",
    seed: [["start", "my-unit"]],
    args: ["list", "--output", "json"],
    golden: '[\n  {\n    "unit_name": "my-unit",\n    "status": "started",\n    "is_ready": true\n  }\n]\n',
  },
];

for (const c of CASES) {
  test(`golden ${c.name}: stdout is coder's, byte for byte`, async (t) => {
    const { run } = await setup(t);
    await seed(run, c.seed ?? []);
    const result = await run(c.args);
    t.is(result.code, 0, result.stderr);
    t.is(result.stdout, golden(c.golden));
  });
}

test("golden start_with_dependencies: the waiting line, then the finished line; progress goes to stderr", async (t) => {
  const { run, socketPath } = await setup(t);
  await seed(run, [["want", "test-unit", "dep-unit"], ["want", "test-unit", "dep-unit-2"]]);
  const start = spawnProcess(process.execPath, [BIN, "start", "test-unit", "--socket-path", socketPath]);
  const until = Date.now() + 20_000;
  while (!start.stdout().includes("is waiting for dependencies")) {
    if (Date.now() > until || start.child.exitCode !== null) return t.fail(`no waiting line: ${start.stdout()} ${start.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await seed(run, [["start", "dep-unit-2"], ["complete", "dep-unit-2"], ["start", "dep-unit"], ["complete", "dep-unit"]]);
  const { code, stdout, stderr } = await start.done;
  t.is(code, 0, stderr);
  t.is(
    stdout,
    'Unit "test-unit" is waiting for dependencies to be satisfied: [dep-unit, dep-unit-2]\n' +
      'Unit "test-unit" finished waiting for dependencies: [dep-unit, dep-unit-2]\n',
  );
  t.regex(stderr, /^Dependency "dep-unit-2" completed; still waiting for \[dep-unit\]$/m);
  t.regex(stderr, /^waited \d/m);
});

test("$(unitsync start x) captures exactly coder's one line; a re-run's attempt goes to stderr", async (t) => {
  const { run, socketPath } = await setup(t);
  const sh = (script: string) => spawnProcess("sh", ["-c", script], { PATH: `${process.env.PATH}`, UNITSYNC: `${process.execPath} ${BIN}`, SOCK: socketPath }).done;
  const first = await sh('out=$($UNITSYNC start x --socket "$SOCK") && printf "[%s]" "$out"');
  t.is(first.stdout, '[Unit "x" started with no dependencies]');
  t.is(first.stderr, "");
  await seed(run, [["complete", "x"]]);
  const again = await sh('out=$($UNITSYNC start x --socket "$SOCK") && printf "[%s]" "$out"');
  t.is(again.stdout, '[Unit "x" started with no dependencies]');
  t.is(again.stderr, "attempt 2\n");
});

test("-c/--column picks table columns as coder does; an unknown column is a usage error", async (t) => {
  const { run } = await setup(t);
  await seed(run, [["start", "b"], ["want", "a", "b"]]);
  t.is((await run(["list", "-c", "unit,ready"])).stdout, "UNIT  READY\na     false\nb     true\n");
  t.is((await run(["list", "--column", "status", "--column", "unit"])).stdout, "UNIT  STATUS\na     pending\nb     started\n");
  t.is((await run(["status", "a", "-c", "depends on,satisfied"])).stdout, "Unit: a\nStatus: pending\nReady: false\n\nDependencies:\nDEPENDS ON  SATISFIED\nb           false\n");
  const bad = await run(["list", "-c", "owner"]);
  t.is(bad.code, 2);
  t.is(bad.stderr, "unitsync: -c owner: unknown column; use unit, status, ready\n");
});

test("JSON: a unit or dependency nobody registered reads \"\"; a re-run adds attempt, a failure its reason", async (t) => {
  const { run } = await setup(t);
  const status = async (unit: string) => JSON.parse((await run(["status", unit, "-o", "json"])).stdout);
  t.deepEqual(await status("nobody"), { unit_name: "nobody", status: "", is_ready: true, dependencies: [] });
  await seed(run, [["want", "a", "ghost"]]);
  t.is((await status("a")).dependencies[0].current_status, "");
  await seed(run, [["start", "b"], ["complete", "b"], ["start", "b"], ["fail", "b", "--reason", "boom"]]);
  t.deepEqual(await status("b"), { unit_name: "b", status: "failed", is_ready: true, dependencies: [], attempt: 2, reason: "boom" });
});

test("list and status sort as coder does, by the names' bytes", async (t) => {
  const { run } = await setup(t);
  await seed(run, [["want", "m", "b", "a", "C"], ["start", "b"], ["start", "a"], ["start", "C"]]);
  t.is((await run(["list", "-c", "unit"])).stdout, "UNIT\nC\na\nb\nm\n");
  t.is((await run(["status", "m", "-c", "depends on"])).stdout.split("\n").slice(-4).join("\n"), "C\na\nb\n");
});

test("status of a re-run keeps coder's stdout; the attempt and an open wait go to stderr", async (t) => {
  const { run, socketPath } = await setup(t);
  await seed(run, [["start", "u"], ["complete", "u"], ["start", "u"]]);
  const result = await run(["status", "u"]);
  t.is(result.stdout, "Unit: u\nStatus: started\nReady: true\n\nDependencies:\nNo dependencies found\n");
  t.is(result.stderr, "Attempt: 2\n");
  await seed(run, [["want", "w", "u"]]);
  const waiting = spawnProcess(process.execPath, [BIN, "start", "w", "--socket", socketPath]);
  t.teardown(() => void waiting.child.kill("SIGKILL"));
  const until = Date.now() + 50_000; // a bound for a hang only
  for (let r = await run(["status", "w"]); !r.stderr.includes("Waiting:"); r = await run(["status", "w"])) {
    if (Date.now() > until) return t.fail("w never waited");
    t.is(r.stdout.split("\n")[1], "Status: pending");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const status = await run(["status", "w"]);
  t.is(status.stderr, "Waiting: a start call is waiting for its dependencies\n");
  t.notRegex(status.stdout, /Waiting/);
});
