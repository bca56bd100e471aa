// Waiting output of `start` and `run`: the unmet dependencies, and a notice naming one nobody registered.
import test from "ava";
import { waitToStart } from "../src/cli/start-verb.js";
import { eventually, withAgent } from "./helpers/agent.js";
import { cli, spawnCli } from "./helpers/cli.js";
import { outputMatches } from "./helpers/ops.js";

const NOTICE = { UNITSYNC_NOTICE_AFTER: "200ms" };

test("start waiting on a mistyped dependency says it is not registered and suggests the registered name", async (t) => {
  const { socketPath } = await withAgent(t);
  const s = ["--socket", socketPath];
  t.is((await cli(["want", "x", "gti-clone", "env-setup", ...s])).code, 0);
  t.is((await cli(["want", "git-clone", "network", ...s])).code, 0);
  t.is((await cli(["want", "env-setup", "network", ...s])).code, 0);
  const start = spawnCli(["start", "x"], { UNITSYNC_SOCKET: socketPath, ...NOTICE });
  t.teardown(() => start.child.kill("SIGKILL"));
  await outputMatches(start, /which no unit has registered.*\n/, "stderr");
  start.child.kill("SIGTERM");
  await start.done;

  // Coder's line on stdout (its list sorted); the notice is unitsync's, on stderr.
  t.is(start.stdout(), 'Unit "x" is waiting for dependencies to be satisfied: [env-setup, gti-clone]\n');
  t.is(start.stderr().split("\n")[0], 'Unit "x" is waiting for "gti-clone", which no unit has registered (did you mean "git-clone"?)');
  t.false(start.stderr().includes('"env-setup", which'), "a registered dependency is not reported as missing");
});

test("the notice has no suggestion when no registered name is close", async (t) => {
  const { socketPath } = await withAgent(t);
  const s = ["--socket", socketPath];
  t.is((await cli(["want", "x", "database", ...s])).code, 0);
  t.is((await cli(["want", "git-clone", "network", ...s])).code, 0);
  const start = spawnCli(["start", "x"], { UNITSYNC_SOCKET: socketPath, ...NOTICE });
  t.teardown(() => start.child.kill("SIGKILL"));
  await outputMatches(start, /which no unit has registered.*\n/, "stderr");
  start.child.kill("SIGTERM");
  await start.done;
  t.regex(start.stderr(), /^Unit "x" is waiting for "database", which no unit has registered$/m);
});

test("run prints the waiting output and the notice on stderr, leaving stdout to the command", async (t) => {
  const { socketPath } = await withAgent(t);
  t.is((await cli(["want", "git-clone", "network", "--socket", socketPath])).code, 0);
  const run = spawnCli(["run", "ide", "--after", "gti-clone", "--", "echo", "ran"], { UNITSYNC_SOCKET: socketPath, ...NOTICE });
  t.teardown(() => run.child.kill("SIGKILL"));
  await outputMatches(run, /which no unit has registered.*\n/, "stderr");
  run.child.kill("SIGTERM");
  await run.done;
  t.is(run.stdout(), "", "the command did not run");
  t.regex(run.stderr(), /^Unit "ide" is waiting for dependencies to be satisfied: \[gti-clone\]$/m);
  t.regex(run.stderr(), /^Unit "ide" is waiting for "gti-clone", which no unit has registered \(did you mean "git-clone"\?\)$/m);
});

test("start prints coder's two lines on stdout; each dependency as it is satisfied and how long it waited on stderr", async (t) => {
  const { socketPath } = await withAgent(t);
  const s = ["--socket", socketPath];
  t.is((await cli(["want", "ide", "git-clone", "env-setup", ...s])).code, 0);
  const start = spawnCli(["start", "ide"], { UNITSYNC_SOCKET: socketPath });
  t.teardown(() => start.child.kill("SIGKILL"));
  await outputMatches(start, /waiting for dependencies/);
  for (const dep of ["git-clone", "env-setup"]) {
    t.is((await cli(["start", dep, ...s])).code, 0);
    t.is((await cli(["complete", dep, ...s])).code, 0);
  }
  const result = await start.done;
  t.is(result.code, 0, result.stderr);
  t.is(
    result.stdout,
    'Unit "ide" is waiting for dependencies to be satisfied: [env-setup, git-clone]\nUnit "ide" finished waiting for dependencies: [env-setup, git-clone]\n',
  );
  const notes = result.stderr.trimEnd().split("\n");
  t.deepEqual(notes.slice(0, 2), ['Dependency "git-clone" completed; still waiting for [env-setup]', 'Dependency "env-setup" completed']);
  t.regex(notes[2]!, /^waited \d+(\.\d+)?m?s$/);
  t.is(notes.length, 3);
});

test("UNITSYNC_NOTICE_AFTER that is not a duration is a usage error", async (t) => {
  const { socketPath } = await withAgent(t);
  const result = await cli(["start", "x", "--socket", socketPath], { UNITSYNC_NOTICE_AFTER: "soon" });
  t.is(result.code, 2);
  t.regex(result.stderr, /UNITSYNC_NOTICE_AFTER: invalid duration "soon"/);
});

test("a notice whose check is still running when the wait ends is not printed after it", async (t) => {
  const { client, newClient } = await withAgent(t);
  t.is((await cli(["want", "x", "db", "--socket", client.socketPath])).code, 0);
  // The notice's look-up answers (db not registered yet) but its answer arrives only after x started.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let lookedUp = false;
  const real = newClient();
  const slow = {
    ...real,
    listUnits: async (...args: Parameters<typeof real.listUnits>) => {
      const answer = await real.listUnits(...args);
      lookedUp = true;
      await released;
      return answer;
    },
  };
  let progress = "";
  let notes = "";
  const waiting = waitToStart(slow, "x", {
    timeoutMs: 0,
    progress: { write: (s: string) => (progress += s) },
    notices: { write: (s: string) => (notes += s) },
    notice: { afterMs: 0, everyMs: 60_000 },
  });
  await eventually(() => lookedUp, "the notice to look up the registered units", 20_000);
  t.is((await cli(["start", "db", "--socket", client.socketPath])).code, 0);
  t.is((await cli(["complete", "db", "--socket", client.socketPath])).code, 0);
  await waiting;
  release();
  await new Promise((resolve) => setImmediate(resolve)); // the look-up's continuation has run
  t.regex(progress, /finished waiting for dependencies: \[db\].*\n$/, "the last line says x started");
  t.notRegex(progress, /which no unit has registered/);
  t.notRegex(notes, /which no unit has registered/);
});
