// Every CLI verb in-process through main(argv, io) against a real agent: output, JSON shapes and exit codes.
import test, { type ExecutionContext } from "ava";
import { join } from "node:path";
import type { UnitSyncClient } from "../src/client/client.js";
import { withAgent } from "./helpers/agent.js";
import { type CliResult, cli } from "./helpers/cli.js";

type Run = (argv: string[], env?: Record<string, string | undefined>) => Promise<CliResult>;

async function setup(t: ExecutionContext) {
  const agent = await withAgent(t);
  const run: Run = (argv, env = {}) => cli([...argv, "--socket", agent.socketPath], env);
  return { ...agent, run };
}

/** The command succeeded: exit 0, nothing on stderr. */
function ok(t: ExecutionContext, result: CliResult): string {
  t.is(result.code, 0, result.stderr);
  t.is(result.stderr, "");
  return result.stdout;
}

/** The command succeeded (exit 0); unitsync's notes may be on stderr. */
function okStdout(t: ExecutionContext, result: CliResult): string {
  t.is(result.code, 0, result.stderr);
  return result.stdout;
}

/** The command failed with `code`: nothing on stdout, exactly one stderr line `unitsync: …` matching `pattern`. */
function fails(t: ExecutionContext, result: CliResult, code: number, pattern: RegExp): void {
  t.is(result.code, code, `stdout: ${result.stdout} stderr: ${result.stderr}`);
  t.is(result.stdout, "");
  t.regex(result.stderr, /^unitsync: [^\n]+\n$/);
  t.regex(result.stderr, pattern);
}

/** Resolves once the agent reports a Start call waiting for `unit` (bounded). */
async function unitWaiting(client: UnitSyncClient, unit: string): Promise<void> {
  const until = Date.now() + 50_000;
  while (!(await client.getUnit({ unit })).unit?.waiting) {
    if (Date.now() > until) throw new Error(`${unit} never started waiting`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const withoutSince = (text: string) => text.replace(/^Since: .*\n/m, "");

test("ping prints Success only, as coder does; -o json has the version and the socket", async (t) => {
  const { run, socketPath } = await setup(t);
  t.is(ok(t, await run(["ping"])), "Success\n");
  const json = JSON.parse(ok(t, await run(["ping", "-o", "json"])));
  t.is(json.version, "test");
  t.is(json.socket, socketPath);
});

test("ping -o json reports the version and live counts of units, waiters, streams and connections", async (t) => {
  const { run, client } = await setup(t);
  const empty = JSON.parse(ok(t, await run(["ping", "-o", "json"])));
  t.is(empty.status, "ok");
  t.is(empty.version, "test");
  t.is(empty.units, 0);
  t.is(empty.waiters, 0);
  for (const field of ["units", "waiters", "streams", "connections"]) t.is(typeof empty[field], "number", field);
  t.is(empty.started_sent, 0);
  t.is(empty.last_started_sent_at, null);

  ok(t, await run(["want", "b", "a"]));
  const waiting = run(["start", "b"]);
  await unitWaiting(client, "b");
  const busy = JSON.parse(ok(t, await run(["ping", "-o", "json"])));
  t.is(busy.units, 1);
  t.is(busy.waiters, 1);
  t.true(busy.streams >= 1);
  t.true(busy.connections >= 1);

  ok(t, await run(["start", "a"]));
  ok(t, await run(["complete", "a"]));
  okStdout(t, await waiting);
  const after = JSON.parse(ok(t, await run(["ping", "-o", "json"])));
  t.is(after.units, 2);
  t.is(after.waiters, 0);
  t.true(after.started_sent >= 1, "b's started was sent on its Start stream");
  t.false(Number.isNaN(Date.parse(after.last_started_sent_at)));
});

test("want prints the declared dependencies in coder's form", async (t) => {
  const { run } = await setup(t);
  t.is(ok(t, await run(["want", "b", "a"])), 'Unit "b" declared dependencies: [a]\n');
  t.is(ok(t, await run(["want", "test-unit", "dep-1", "dep-2", "dep-3"])), 'Unit "test-unit" declared dependencies: [dep-1, dep-2, dep-3]\n');
});

test("start with no dependencies starts at once", async (t) => {
  const { run } = await setup(t);
  t.is(ok(t, await run(["start", "x"])), 'Unit "x" started with no dependencies\n');
  t.regex(ok(t, await run(["status", "x"])), /^Status: started$/m);
});

test("start whose dependencies are already completed says so and lists them", async (t) => {
  const { run } = await setup(t);
  ok(t, await run(["want", "app", "dep-unit", "dep-unit-2"]));
  for (const dep of ["dep-unit", "dep-unit-2"]) {
    ok(t, await run(["start", dep]));
    ok(t, await run(["complete", dep]));
  }
  t.is(ok(t, await run(["start", "app"])), 'Unit "app" started immediately, dependencies already satisfied: [dep-unit, dep-unit-2]\n');
});

test("start prints what it waits for, each dependency as it completes, then that it finished waiting", async (t) => {
  const { run, client } = await setup(t);
  ok(t, await run(["want", "b", "a1", "a2"]));
  ok(t, await run(["start", "a1"]));
  ok(t, await run(["start", "a2"]));
  const started = run(["start", "b"]);
  await unitWaiting(client, "b");
  ok(t, await run(["complete", "a1"]));
  ok(t, await run(["complete", "a2"]));
  const result = await started;
  t.is(
    okStdout(t, result),
    'Unit "b" is waiting for dependencies to be satisfied: [a1, a2]\nUnit "b" finished waiting for dependencies: [a1, a2]\n',
  );
  const notes = result.stderr.trimEnd().split("\n");
  t.deepEqual(notes.slice(0, 2), ['Dependency "a1" completed; still waiting for [a2]', 'Dependency "a2" completed']);
  t.regex(notes[2]!, /^waited \d/);
  t.is(notes.length, 3);
});

test("complete prints Success and may be repeated (trap-safe)", async (t) => {
  const { run } = await setup(t);
  ok(t, await run(["start", "a"]));
  t.is(ok(t, await run(["complete", "a"])), "Success\n");
  t.is(ok(t, await run(["complete", "a"])), "Success\n");
  t.regex(ok(t, await run(["status", "a"])), /^Status: completed$/m);
});

test("fail --reason records the failure and names the dependents it blocks", async (t) => {
  const { run } = await setup(t);
  ok(t, await run(["start", "a"]));
  ok(t, await run(["want", "b", "a"]));
  t.is(ok(t, await run(["fail", "a", "--reason", "disk full"])), 'Unit "a" failed; blocked dependents: [b]\n');
  const status = ok(t, await run(["status", "a"]));
  t.regex(status, /^Status: failed$/m);
  t.regex(status, /^Reason: disk full$/m);
  t.is(JSON.parse(ok(t, await run(["status", "a", "-o", "json"]))).reason, "disk full");
});

test("list: 'No units registered' when empty, else the UNIT STATUS READY table", async (t) => {
  const { run } = await setup(t);
  t.is(ok(t, await run(["list"])), "No units registered\n");
  t.is(ok(t, await run(["list", "-o", "json"])), "[]\n");
  ok(t, await run(["start", "unit-a"]));
  ok(t, await run(["start", "unit-b"]));
  ok(t, await run(["complete", "unit-b"]));
  ok(t, await run(["want", "unit-c", "unit-a"]));
  t.is(
    ok(t, await run(["list"])),
    ["UNIT    STATUS     READY", "unit-a  started    true", "unit-b  completed  true", "unit-c  pending    false", ""].join("\n"),
  );
  t.is(ok(t, await run(["list", "--output", "table"])), ok(t, await run(["list"])));
});

test("list -o json uses coder's field names", async (t) => {
  const { run } = await setup(t);
  ok(t, await run(["start", "my-unit"]));
  ok(t, await run(["want", "other", "my-unit"]));
  t.deepEqual(JSON.parse(ok(t, await run(["list", "-o", "json"]))), [
    { unit_name: "my-unit", status: "started", is_ready: true },
    { unit_name: "other", status: "pending", is_ready: false },
  ]);
});

test("status with no dependencies: Unit, Status, Ready, a blank line, then 'No dependencies found'", async (t) => {
  const { run } = await setup(t);
  ok(t, await run(["start", "test-unit"]));
  const out = ok(t, await run(["status", "test-unit"]));
  t.notRegex(out, /^Since:/m, "coder prints no Since line");
  t.is(out, "Unit: test-unit\nStatus: started\nReady: true\n\nDependencies:\nNo dependencies found\n");
});

test("status with dependencies prints the coder dependency table", async (t) => {
  const { run } = await setup(t);
  ok(t, await run(["want", "test-unit", "dep-1", "dep-2"]));
  ok(t, await run(["start", "dep-1"]));
  ok(t, await run(["complete", "dep-1"]));
  t.is(
    withoutSince(ok(t, await run(["status", "test-unit"]))),
    [
      "Unit: test-unit",
      "Status: pending",
      "Ready: false",
      "",
      "Dependencies:",
      "DEPENDS ON  REQUIRED STATUS  CURRENT STATUS  SATISFIED",
      "dep-1       completed        completed       true",
      "dep-2       completed        not registered  false",
      "",
    ].join("\n"),
  );
});

test("status -o json uses coder's field names", async (t) => {
  const { run } = await setup(t);
  ok(t, await run(["want", "test-unit", "dep-unit"]));
  ok(t, await run(["start", "dep-unit"]));
  ok(t, await run(["complete", "dep-unit"]));
  t.deepEqual(JSON.parse(ok(t, await run(["status", "test-unit", "-o", "json"]))), {
    unit_name: "test-unit",
    status: "pending",
    is_ready: true,
    dependencies: [{ depends_on: "dep-unit", required_status: "completed", current_status: "completed", is_satisfied: true }],
  });
});

test("status of a unit nobody registered reads 'not registered' and exits 0", async (t) => {
  const { run } = await setup(t);
  t.is(ok(t, await run(["status", "nobody"])), "Unit: nobody\nStatus: not registered\nReady: true\n\nDependencies:\nNo dependencies found\n");
  // Coder's JSON spells "not registered" as "".
  t.deepEqual(JSON.parse(ok(t, await run(["status", "nobody", "-o", "json"]))), {
    unit_name: "nobody",
    status: "",
    is_ready: true,
    dependencies: [],
  });
});

test("status of a blocked unit names the failed root, its reason and the chain", async (t) => {
  const { run } = await setup(t);
  ok(t, await run(["start", "a"]));
  ok(t, await run(["want", "b", "a"]));
  ok(t, await run(["want", "c", "b"]));
  ok(t, await run(["fail", "a", "--reason", "disk full"]));
  const out = ok(t, await run(["status", "c"]));
  t.regex(out, /^Status: pending$/m);
  t.regex(out, /^Ready: false$/m);
  t.regex(out, /^Blocked by: a failed: disk full via c -> b -> a$/m);
  const json = JSON.parse(ok(t, await run(["status", "c", "-o", "json"])));
  t.deepEqual(json.blocked_by, { unit: "a", reason: "disk full", chain: ["c", "b", "a"] });
  t.regex(ok(t, await run(["status", "b"])), /^Blocked by: a failed: disk full$/m);
});

test("exit 1: a cycle is rejected, names the cycle and leaves the graph unchanged", async (t) => {
  const { run } = await setup(t);
  ok(t, await run(["want", "a", "b"]));
  const before = [ok(t, await run(["list", "-o", "json"])), ok(t, await run(["status", "a", "-o", "json"])), ok(t, await run(["status", "b", "-o", "json"]))];
  fails(t, await run(["want", "b", "a"]), 1, /^unitsync: want b: cycle detected: b -> a -> b$/m);
  // A multi-dependency want with one cycle-closing edge adds none of its edges.
  fails(t, await run(["want", "b", "c", "a"]), 1, /cycle detected: b -> a -> b/);
  const after = [ok(t, await run(["list", "-o", "json"])), ok(t, await run(["status", "a", "-o", "json"])), ok(t, await run(["status", "b", "-o", "json"]))];
  t.deepEqual(after, before);
  t.deepEqual(JSON.parse(after[0]!), [{ unit_name: "a", status: "pending", is_ready: false }]);
});

test("exit 1: a unit that depends on itself is rejected and not registered", async (t) => {
  const { run } = await setup(t);
  fails(t, await run(["want", "x", "x"]), 1, /cycle detected: x -> x/);
  t.is(ok(t, await run(["list"])), "No units registered\n");
  t.regex(ok(t, await run(["status", "x"])), /^Status: not registered$/m);
});

test("exit 1: complete or fail of a unit nobody registered is 'not found'", async (t) => {
  const { run } = await setup(t);
  fails(t, await run(["complete", "ghost"]), 1, /^unitsync: complete ghost: unit "ghost" not found; declare it with "unitsync want" or "unitsync start" first\n$/);
  fails(t, await run(["fail", "ghost", "--reason", "x"]), 1, /unit "ghost" not found/);
  t.is(ok(t, await run(["list"])), "No units registered\n");
});

test("exit 1: transitions that go backwards are refused (a start on a finished unit is a new attempt, not one of them)", async (t) => {
  const { run } = await setup(t);
  ok(t, await run(["start", "a"]));
  fails(t, await run(["start", "a"]), 1, /^unitsync: start a: unit "a" is already started/);
  ok(t, await run(["complete", "a"]));
  fails(t, await run(["fail", "a", "--reason", "late"]), 1, /^unitsync: fail a: /);
  ok(t, await run(["start", "f"]));
  ok(t, await run(["fail", "f", "--reason", "boom"]));
  fails(t, await run(["complete", "f"]), 1, /^unitsync: complete f: unit "f" already failed \(boom\)/);
  t.deepEqual(JSON.parse(ok(t, await run(["list", "-o", "json"]))), [
    { unit_name: "a", status: "completed", is_ready: true },
    { unit_name: "f", status: "failed", is_ready: true },
  ]);
});

test("exit 2: usage errors, each one stderr line", async (t) => {
  const { run } = await setup(t);
  fails(t, await run(["bogus"]), 2, /unknown command "bogus"/);
  fails(t, await run(["list", "--bogus"]), 2, /--bogus/);
  fails(t, await run(["start"]), 2, /missing required args/);
  fails(t, await run(["want", "a"]), 2, /missing required args/);
  fails(t, await run(["complete"]), 2, /missing required args/);
  fails(t, await run(["status"]), 2, /missing required args/);
  fails(t, await run(["start", "x", "--timeout", "abc"]), 2, /^unitsync: --timeout: invalid duration "abc"/);
  fails(t, await run(["start", "x", "--timeout", "5 minutes"]), 2, /invalid duration/);
  fails(t, await run(["list", "-o", "yaml"]), 2, /^unitsync: -o yaml: unknown output format; use table or json$/m);
  fails(t, await run(["status", "x", "-o", "yaml"]), 2, /unknown output format/);
  fails(t, await run(["ping", "-o", "yaml"]), 2, /unknown output format; use text or json/);
  fails(t, await run(["want", "a", "b", "--on", "soon"]), 2, /--on soon: unknown condition/);
  // Nothing reached the agent.
  t.is(ok(t, await run(["list"])), "No units registered\n");
});

test("exit 2 and the help text when no command is given", async (t) => {
  const result = await cli([]);
  t.is(result.code, 2);
  t.regex(result.stdout, /Usage:/);
});

test("exit 3: no agent on the socket, one line naming the path and how to start one", async (t) => {
  const { dir } = await setup(t);
  const missing = join(dir, "none.sock");
  for (const argv of [["ping"], ["list"], ["want", "a", "b"], ["start", "a"], ["complete", "a"]]) {
    const result = await cli([...argv, "--socket", missing]);
    fails(t, result, 3, /no agent answers on/);
    t.true(result.stderr.includes(missing), result.stderr);
    t.true(result.stderr.includes('"unitsync agent"'), result.stderr);
  }
});

test("exit 4: start gives up at its --timeout, naming the unit and the unmet dependency", async (t) => {
  const { run } = await setup(t);
  ok(t, await run(["want", "x", "slow"]));
  ok(t, await run(["start", "slow"]));
  const result = await run(["start", "x", "--timeout", "2s"]);
  t.is(result.code, 4);
  t.is(result.stdout, 'Unit "x" is waiting for dependencies to be satisfied: [slow]\n');
  t.regex(result.stderr, /^unitsync: start x: timeout waiting for dependencies of unit 'x' after 2\.00s; still unmet: \[slow\]\n$/);
  // The wait is gone and x can still start later.
  t.is(JSON.parse(ok(t, await run(["ping", "-o", "json"]))).waiters, 0);
  t.regex(ok(t, await run(["status", "x"])), /^Status: pending$/m);
});

test("exit 5: a dependency that fails during the wait ends start at once with the root and reason", async (t) => {
  const { run, client } = await setup(t);
  ok(t, await run(["start", "a"]));
  ok(t, await run(["want", "b", "a"]));
  ok(t, await run(["want", "c", "b"]));
  const started = run(["start", "c", "--timeout", "0"]);
  await unitWaiting(client, "c");
  ok(t, await run(["fail", "a", "--reason", "disk full"]));
  const result = await started;
  t.is(result.code, 5);
  t.regex(result.stdout, /^Unit "c" is waiting for dependencies to be satisfied: \[b\]\n$/);
  t.is(result.stderr, 'unitsync: start c: dependency "a" failed: disk full (via c -> b -> a)\n');
});

test("exit 5: start of a unit whose dependency already failed fails at once", async (t) => {
  const { run } = await setup(t);
  ok(t, await run(["start", "a"]));
  ok(t, await run(["fail", "a", "--reason", "disk full"]));
  ok(t, await run(["want", "b", "a"]));
  fails(t, await run(["start", "b", "--timeout", "0"]), 5, /^unitsync: start b: dependency "a" failed: disk full\n$/);
});

test("invalid unit names are refused with the naming rule, exit 1, and the agent keeps serving", async (t) => {
  const { run } = await setup(t);
  const rule = /a unit name is 1-1024 printable characters/;
  for (const name of ["", "new\nline", "a".repeat(1025), "tab\tname", "esc\u001b[0m"]) {
    fails(t, await run(["want", name, "dep"]), 1, rule);
    fails(t, await run(["want", "ok", name]), 1, rule);
    fails(t, await run(["start", name]), 1, rule);
  }
  t.is(ok(t, await run(["list"])), "No units registered\n");
  ok(t, await run(["want", "a".repeat(1024), "dotfiles.clone", "acme/db-migrate", "v1:x@y+z", "has space", ".hidden"]));
  t.regex(ok(t, await run(["ping"])), /^Success\n/);
});

test("--socket-path is an alias of --socket, and the flag wins over UNITSYNC_SOCKET", async (t) => {
  const { socketPath, dir } = await setup(t);
  const elsewhere = join(dir, "elsewhere.sock");
  const viaAlias = await cli(["ping", "-o", "json", "--socket-path", socketPath], { UNITSYNC_SOCKET: elsewhere });
  t.is(viaAlias.code, 0, viaAlias.stderr);
  t.is(JSON.parse(viaAlias.stdout).socket, socketPath);
  const viaEnv = await cli(["ping", "-o", "json"], { UNITSYNC_SOCKET: socketPath, XDG_RUNTIME_DIR: dir });
  t.is(viaEnv.code, 0, viaEnv.stderr);
  t.is(JSON.parse(viaEnv.stdout).socket, socketPath);
});

test("option text is kept as typed, even when it looks like a number", async (t) => {
  const { run } = await setup(t);
  ok(t, await run(["start", "a"]));
  ok(t, await run(["fail", "a", "--reason", "0042"]));
  t.is(JSON.parse(ok(t, await run(["status", "a", "-o", "json"]))).reason, "0042");
  ok(t, await run(["start", "b"]));
  ok(t, await run(["fail", "b", "--reason=1e3"]));
  t.regex(ok(t, await run(["status", "b"])), /^Reason: 1e3$/m);
  // A numeric relative socket path is a path, not a crash.
  const numeric = await cli(["ping", "--socket", "0123"]);
  t.is(numeric.code, 3, numeric.stderr);
  t.true(numeric.stderr.includes(join(process.cwd(), "0123")), numeric.stderr);
});

test("want on a started and on a completed unit succeeds; the edge shows in status and applies from the next attempt", async (t) => {
  const { run } = await setup(t);
  ok(t, await run(["start", "s"]));
  t.is(ok(t, await run(["want", "s", "later"])), 'Unit "s" declared dependencies: [later]\n');
  ok(t, await run(["start", "c"]));
  ok(t, await run(["complete", "c"]));
  t.is(ok(t, await run(["want", "c", "later"])), 'Unit "c" declared dependencies: [later]\n');
  t.is(ok(t, await run(["want", "c", "later"])), 'Unit "c" declared dependencies: [later]\n', "re-declaring is a no-op");
  for (const [unit, status] of [["s", "started"], ["c", "completed"]]) {
    const json = JSON.parse(ok(t, await run(["status", unit!, "-o", "json"])));
    t.like(json, { status, is_ready: false });
    t.false("attempt" in json, "attempt appears only from the second attempt on");
    t.deepEqual(json.dependencies, [{ depends_on: "later", required_status: "completed", current_status: "", is_satisfied: false }]);
  }
  fails(t, await run(["want", "later", "c"]), 1, /cycle detected: later -> c -> later/);
});
