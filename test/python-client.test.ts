// The Python client example against a real agent: code generated from proto/ by Debian's
// grpc_tools, a streaming Start it waits through, and the exit codes of the unitsync CLI.
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import { eventually, tempDir, withAgent } from "./helpers/agent.js";
import { ROOT, cli, spawnProcess } from "./helpers/cli.js";
import { ProcessState_Phase } from "../gen/unitsync/v1/unitsync_pb.js";

const PYTHON = "/usr/bin/python3"; // Debian's, with python3-grpcio and python3-grpc-tools
const EXAMPLE = join(ROOT, "examples/python");

/** Generates the client code into a temp dir; fails (never skips) when grpc is missing. */
function generate(t: ExecutionContext): string {
  const probe = spawnSync(PYTHON, ["-c", "import grpc, grpc_tools"], { encoding: "utf8" });
  if (probe.status !== 0) {
    throw new Error(`${PYTHON} cannot import grpc and grpc_tools; install python3-grpcio and python3-grpc-tools (make deps): ${probe.stderr}`);
  }
  const out = join(tempDir(t), "gen");
  const generated = spawnSync("sh", [join(EXAMPLE, "generate.sh"), out], { encoding: "utf8", env: { ...process.env, PYTHON } });
  if (generated.status !== 0) throw new Error(`generate.sh failed: ${generated.stderr}`);
  return out;
}

function python(gen: string, args: string[]) {
  return spawnProcess(PYTHON, [join(EXAMPLE, "unitsync_client.py"), ...args], { PYTHONPATH: gen });
}

test("the Python client declares a dependency, waits through Start printing progress, runs its work and completes", async (t) => {
  const gen = generate(t);
  const { agent, socketPath, client: agentClient } = await withAgent(t);
  const client = python(gen, ["--socket", socketPath, "ide", "--after", "git-clone", "--", "/bin/echo", "ide is up"]);
  await eventually(() => client.stdout().includes("waiting for git-clone"), "the client to wait for git-clone", 45_000);
  t.is(agent.registry.get("ide").status, "pending");

  t.is((await cli(["start", "git-clone", "--socket", socketPath])).code, 0);
  t.is((await cli(["complete", "git-clone", "--socket", socketPath])).code, 0);
  const done = await client.done;
  t.is(done.code, 0, done.stderr);
  const lines = done.stdout.trim().split("\n").map((line) => line.trim());
  t.deepEqual(
    lines.filter((line) => !line.startsWith("agent ") && !line.includes("no unit of that name")),
    ["ide depends on git-clone", "waiting for git-clone", "git-clone completed", lines.find((l) => l.startsWith("started ide after"))!, "ide is up", "completed ide"],
  );
  t.is(agent.registry.get("ide").status, "completed");
  // The client reported its work's process through ReportProcess: its pid, then its exit status.
  const reported = (await agentClient.getUnit({ unit: "ide" })).unit!.process!;
  t.is(reported.phase, ProcessState_Phase.EXITED);
  t.true(reported.pid > 0);
  t.is(reported.exitCode, 0);
  t.is(reported.exitReason, "");
});

test("the Python client exits 5 naming the failed dependency, and never runs its work", async (t) => {
  const gen = generate(t);
  const { agent, socketPath } = await withAgent(t);
  t.is((await cli(["start", "db", "--socket", socketPath])).code, 0);
  const client = python(gen, ["--socket", socketPath, "app", "--after", "db", "--", "/bin/echo", "should not run"]);
  await eventually(() => client.stdout().includes("waiting for db"), "the client to wait for db", 45_000);
  t.is((await cli(["fail", "db", "--reason", "disk full", "--socket", socketPath])).code, 0);
  const done = await client.done;
  t.is(done.code, 5, done.stderr);
  t.regex(done.stderr, /db.*disk full/);
  t.false(done.stdout.includes("should not run"));
  t.is(agent.registry.get("app").status, "pending");
});

test("the Python lock client waits for a held lock, holds it while its command runs, and releases it", async (t) => {
  const gen = generate(t);
  const { client, socketPath, agent } = await withAgent(t);
  const holder = new AbortController();
  const held = client.acquireLocks({ leaseId: "node", unit: "apt-a", pid: 1, locks: [{ name: "dpkg", capacity: 0 }] }, { signal: holder.signal });
  await held[Symbol.asyncIterator]().next();
  const dir = tempDir(t);
  const [ready, go] = [join(dir, "ready"), join(dir, "go")];
  const py = spawnProcess(PYTHON, [join(EXAMPLE, "lock_client.py"), "--socket", socketPath, "dpkg", "--", "sh", "-c", `touch ${ready}; while [ ! -e ${go} ]; do sleep 0.02; done`], {
    PYTHONPATH: `${gen}:${EXAMPLE}`,
  });
  await eventually(() => py.stdout().includes("waiting for lock"), "the Python client to queue", 45_000);
  t.is(py.stdout().trim(), 'waiting for lock "dpkg", held by "apt-a" (0 queued ahead)');
  holder.abort();
  await eventually(() => existsSync(ready), "the command to run with the lock");
  const listed = (await client.listLocks({})).locks[0]!;
  t.deepEqual(listed.holders.map((h) => h.pid), [py.child.pid]);
  writeFileSync(go, "");
  const done = await py.done;
  t.is(done.code, 0, done.stderr);
  t.regex(done.stdout, /\ngranted dpkg after \d+ ms\nreleased dpkg\n$/);
  await eventually(() => agent.context.locks.counts().holders === 0, "the lease released");
});
