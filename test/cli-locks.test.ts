// `run --lock`, `lock` and `locks` as real processes over a real agent: no overlap (flock -n
// detects one), capacity, {x,y}/{y,x} from 50 processes, kill -9 of a holder, clear refusals.
import { EventEmitter } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { tempDir, withAgent } from "./helpers/agent.js";
import { withAgentProcess } from "./helpers/agent-process.js";
import { ROOT, cli, spawnCli, spawnProcess } from "./helpers/cli.js";
import { fileAppears, outputMatches, writeScript } from "./helpers/ops.js";

/** A stand-in for apt-get: fails (exit 99) if another one holds its flock, else waits for `go`. */
function standIn(dir: string, go: string): string {
  return writeScript(dir, "apt-stand-in", `flock -n ${join(dir, "dpkg.lock")} sh -c 'while [ ! -e ${go} ]; do sleep 0.02; done' || { echo overlap >&2; exit 99; }`);
}

const queueLength = async (client: Awaited<ReturnType<typeof withAgent>>["client"], lock: string) =>
  (await client.listLocks({})).locks.find((l) => l.name === lock)?.queue.length ?? 0;

test.serial("two runs with --lock dpkg started together never overlap, both complete, and the waiter says who holds it", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const dir = tempDir(t);
  const go = join(dir, "go");
  const script = standIn(dir, go);
  const env = { UNITSYNC_SOCKET: socketPath };
  const a = spawnCli(["run", "apt-a", "--lock", "dpkg", "--", script], env);
  await waitFor(async () => ((await client.listLocks({})).locks[0]?.holders.length ?? 0) === 1);
  const b = spawnCli(["run", "apt-b", "--lock", "dpkg", "--", script], env);
  await waitFor(async () => (await queueLength(client, "dpkg")) === 1);
  await outputMatches(b, /waiting for lock "dpkg", held by "apt-a"/, "stderr");
  writeFileSync(go, "");
  const [ra, rb] = await Promise.all([a.done, b.done]);
  t.is(ra.code, 0, ra.stderr);
  t.is(rb.code, 0, rb.stderr);
  t.notRegex(ra.stderr + rb.stderr, /overlap/);
  for (const unit of ["apt-a", "apt-b"]) t.is((await client.getUnit({ unit })).unit!.status, 4 /* completed */);
  t.like((await client.ping({})).counts, { lockHolders: 0, lockRequestsQueued: 0 });
});

/** Polls an async predicate (the agent's own state), bounded. */
async function waitFor(predicate: () => Promise<boolean>, what = "condition"): Promise<void> {
  const until = Date.now() + 45_000;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test.serial("with capacity 2, three holders never exceed two at once", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const dir = tempDir(t);
  const log = join(dir, "log");
  const go = join(dir, "go");
  writeFileSync(log, "");
  const script = writeScript(dir, "build", `echo "start $1" >> ${log}; while [ ! -e ${go} ]; do sleep 0.02; done; echo "end $1" >> ${log}`);
  const env = { UNITSYNC_SOCKET: socketPath };
  const runs = ["b1", "b2", "b3"].map((u) => spawnCli(["run", u, "--lock", "builds:2", "--", script, u], env));
  await waitFor(async () => (await queueLength(client, "builds")) === 1, "one build queued");
  t.is((await client.listLocks({})).locks[0]!.holders.length, 2);
  // Both holders' commands are running (granted is not yet started) before any may end.
  await waitFor(async () => readFileSync(log, "utf8").split("start").length - 1 === 2, "both holders' commands to start");
  writeFileSync(go, "");
  const results = await Promise.all(runs.map((r) => r.done));
  for (const r of results) t.is(r.code, 0, r.stderr);
  let running = 0;
  let most = 0;
  for (const line of readFileSync(log, "utf8").trim().split("\n")) {
    running += line.startsWith("start") ? 1 : -1;
    most = Math.max(most, running);
  }
  t.is(most, 2);
});

test.serial("{x,y} and {y,x} from 50 concurrent lock processes all finish without overlap", async (t) => {
  const { agent, socketPath } = await withAgentProcess(t);
  const dir = tempDir(t);
  const cmd = `flock -n ${join(dir, "x")} flock -n ${join(dir, "y")} true || { echo overlap >&2; exit 99; }`;
  const procs = Array.from({ length: 50 }, (_, i) =>
    spawnCli(["lock", i % 2 ? "x,y" : "y,x", "--socket", socketPath, "--timeout", "0", "--", "sh", "-c", cmd]),
  );
  const results = await Promise.all(procs.map((p) => p.done));
  t.deepEqual(results.map((r) => r.code), Array(50).fill(0), results.map((r) => r.stderr).join(""));
  const ping = JSON.parse((await spawnCli(["ping", "-o", "json", "--socket", socketPath]).done).stdout);
  t.like(ping, { locks: 2, lock_holders: 0, lock_requests_queued: 0 });
  t.is(agent.child.exitCode, null);
});

for (const verb of ["run", "lock"] as const) {
  test.serial(`kill -9 of a holder's ${verb} releases its locks: the next waiter is granted, ping shows no stale holder`, async (t) => {
    const { client, socketPath } = await withAgentProcess(t);
    const dir = tempDir(t);
    const pidFile = join(dir, "pid");
    const argv = verb === "run" ? ["run", "holder", "--lock", "dpkg"] : ["lock", "dpkg"];
    const holder = spawnCli([...argv, "--socket", socketPath, "--", "sh", "-c", `echo $$ > ${pidFile}; exec sleep 60`]);
    await fileAppears(pidFile);
    t.teardown(() => {
      try {
        process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
      } catch {
        // already gone
      }
    });
    const next = spawnCli(["lock", "dpkg", "--socket", socketPath, "--", "true"]);
    await waitFor(async () => (await queueLength(client, "dpkg")) === 1, "next queued");
    holder.child.kill("SIGKILL");
    const result = await next.done;
    t.is(result.code, 0, result.stderr);
    const ping = JSON.parse((await spawnCli(["ping", "-o", "json", "--socket", socketPath]).done).stdout);
    t.like(ping, { locks: 1, lock_holders: 0, lock_requests_queued: 0 });
  });
}

test("lock: exits with the command's code; 4 on timeout naming the holder; clear refusals change nothing", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const env = { UNITSYNC_SOCKET: socketPath };
  t.like(await cli(["lock", "dpkg", "--", "sh", "-c", "exit 7"], env), { code: 7 });
  const held = new AbortController();
  const lease = client.acquireLocks({ leaseId: "held", unit: "apt-tools", pid: 1, locks: [{ name: "dpkg", capacity: 0 }] }, { signal: held.signal });
  await lease[Symbol.asyncIterator]().next();
  const timeout = await cli(["lock", "dpkg", "--timeout", "300ms", "--", "true"], env);
  t.is(timeout.code, 4);
  // the queued message names the holder; on a loaded machine the timeout may come before it arrives
  t.regex(timeout.stderr, /^(waiting for lock "dpkg", held by "apt-tools"\n)?unitsync: lock dpkg: timeout waiting for lock "dpkg" after 300ms(; held by "apt-tools")?\n$/);
  const before = (await client.listLocks({})).locks;
  const conflict = await cli(["lock", "dpkg:2", "--", "true"], env);
  t.is(conflict.code, 1);
  t.regex(conflict.stderr, /^unitsync: lock dpkg:2: lock "dpkg" has capacity 1, not 2: its first use fixed it; ask for "dpkg" or "dpkg:1"\n$/);
  const bad = await cli(["lock", "bad\u0007name", "--", "true"], env);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /^unitsync: lock bad\u0007name: invalid lock name \(lock names follow the unit-name rule\): /);
  t.is(bad.stderr.split("\n").length, 2);
  t.like(await cli(["lock", "dpkg:0", "--", "true"], env), { code: 2 });
  t.like(await cli(["lock", "dpkg"], env), { code: 2 });
  t.deepEqual((await client.listLocks({})).locks, before);
  held.abort();
});

test("run --lock: --timeout bounds the lock wait too; the unit is failed, not run", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const held = new AbortController();
  const lease = client.acquireLocks({ leaseId: "held", unit: "apt-a", pid: 1, locks: [{ name: "dpkg", capacity: 0 }] }, { signal: held.signal });
  await lease[Symbol.asyncIterator]().next();
  const dir = tempDir(t);
  const marker = join(dir, "ran");
  // Long enough that the dependency wait (none here) is always over before it runs out, however
  // slowly a loaded machine starts the process: what runs out is the lock wait.
  const result = await cli(["run", "apt-b", "--lock", "dpkg", "--timeout", "10s", "--", "touch", marker], { UNITSYNC_SOCKET: socketPath });
  t.is(result.code, 4, result.stderr);
  t.regex(result.stderr, /unitsync: run apt-b: timeout waiting for lock "dpkg" after 10s(; held by "apt-a")?\n$/);
  const unit = (await client.getUnit({ unit: "apt-b" })).unit!;
  t.is(unit.status, 5 /* failed */);
  t.regex(unit.reason, /^not run: timeout waiting for lock "dpkg"/);
  t.deepEqual(unit.locksWaiting, []);
  t.like((await client.ping({})).counts, { lockHolders: 1, lockRequestsQueued: 0 });
  held.abort();
});

test("locks: a table with one row per holder and queued request, and JSON", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const env = { UNITSYNC_SOCKET: socketPath };
  const h = new AbortController();
  const held = client.acquireLocks({ leaseId: "L1", unit: "apt-a", pid: 11, locks: [{ name: "dpkg", capacity: 0 }] }, { signal: h.signal });
  await held[Symbol.asyncIterator]().next();
  const w = new AbortController();
  const queued = client.acquireLocks({ leaseId: "L2", unit: "apt-b", pid: 12, locks: [{ name: "dpkg", capacity: 0 }, { name: "net", capacity: 3 }] }, { signal: w.signal });
  await queued[Symbol.asyncIterator]().next();
  const out = await cli(["locks"], env);
  t.is(out.code, 0, out.stderr);
  const lines = out.stdout.trim().split("\n").map((l) => l.split(/\s{2,}/).slice(0, 5));
  t.deepEqual(lines, [
    ["LOCK", "CAPACITY", "STATE", "HOLDER", "PID"],
    ["dpkg", "1", "held", "apt-a", "11"],
    ["dpkg", "1", "queued #1", "apt-b", "12"],
    ["net", "3", "queued #1", "apt-b", "12"],
  ]);
  const json = JSON.parse((await cli(["locks", "-o", "json"], env)).stdout);
  t.like(json[0], { name: "dpkg", capacity: 1, holders: [{ holder: "apt-a", unit: "apt-a", pid: 11, lease_id: "L1", locks: ["dpkg"] }], queue: [{ holder: "apt-b" }] });
  t.is(json[0].holders[0].granted_at.length, 24);
  const status = await cli(["status", "apt-b", "-o", "json"], env);
  t.deepEqual(JSON.parse(status.stdout).locks_waiting, ["dpkg", "net"]);
  h.abort();
  w.abort();
});

test("the examples' apt stand-in fails, as dpkg does, while another process holds its lock file", async (t) => {
  const dir = tempDir(t);
  const lockFile = join(dir, "lock-frontend");
  const [ready, go] = [join(dir, "ready"), join(dir, "go")];
  const holder = spawnProcess("flock", [lockFile, "sh", "-c", `touch ${ready}; while [ ! -e ${go} ]; do sleep 0.02; done`]);
  await fileAppears(ready);
  const standIn = join(ROOT, "examples/lib/fake-apt-get.sh");
  const overlapped = await spawnProcess("bash", [standIn, "install", "git"], { DPKG_LOCK_FILE: lockFile }).done;
  t.is(overlapped.code, 100);
  t.regex(overlapped.stderr, /^E: Could not get lock /);
  writeFileSync(go, "");
  t.is((await holder.done).code, 0);
  const alone = await spawnProcess("bash", [standIn, "install", "git"], { DPKG_LOCK_FILE: lockFile, UNITSYNC_UNIT: "apt" }).done;
  t.is(alone.code, 0, alone.stderr);
  t.is(alone.stdout, "apt: apt-get install git\napt: done\n");
});

test.serial("run --lock with --ready: a service holds its locks until it is ready, not for its lifetime", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const dir = tempDir(t);
  const [readyFile, go, pidFile] = [join(dir, "ready"), join(dir, "go"), join(dir, "pid")];
  const env = { UNITSYNC_SOCKET: socketPath };
  const service = spawnCli(
    ["run", "db", "--lock", "dpkg", "--ready", `file:${readyFile}`, "--", "sh", "-c", `echo $$ > ${pidFile}; while [ ! -e ${go} ]; do sleep 0.02; done; touch ${readyFile}; exec sleep 60`],
    env,
  );
  t.teardown(() => service.child.kill("SIGKILL"));
  await fileAppears(pidFile);
  const next = spawnCli(["lock", "dpkg", "--", "true"], env);
  await waitFor(async () => (await queueLength(client, "dpkg")) === 1, "lock queued behind the service");
  writeFileSync(go, "");
  const result = await next.done;
  t.is(result.code, 0, result.stderr);
  t.is(service.child.exitCode, null, "the service keeps running after it gave its locks back");
  t.is((await client.getUnit({ unit: "db" })).unit!.status, 4 /* completed */);
  service.child.kill("SIGTERM"); // run passes it on to the service's process group
  await service.done;
});

test("a signal while lock or run --lock waits for a lock ends the wait, leaves nothing queued, and the run's unit is failed", async (t) => {
  const { client, socketPath, agent } = await withAgent(t);
  const env = { UNITSYNC_SOCKET: socketPath };
  const held = new AbortController();
  const lease = client.acquireLocks({ leaseId: "held", unit: "apt-a", pid: 1, locks: [{ name: "dpkg", capacity: 0 }] }, { signal: held.signal });
  await lease[Symbol.asyncIterator]().next();
  for (const argv of [["lock", "dpkg", "--", "true"], ["run", "apt-b", "--lock", "dpkg", "--", "true"]]) {
    const signals = new EventEmitter();
    const running = cli(argv, env, signals);
    await waitFor(async () => (await queueLength(client, "dpkg")) === 1, `${argv[0]} queued`);
    signals.emit("SIGTERM");
    const result = await running;
    t.is(result.code, 143, result.stderr);
    t.regex(result.stderr, /interrupted by SIGTERM\n$/);
    // the cancel reaches the agent just after the command returns
    await waitFor(async () => agent.context.locks.counts().queued === 0, "the request withdrawn");
    t.deepEqual(agent.context.locks.counts(), { locks: 1, holders: 1, queued: 0 });
  }
  const unit = (await client.getUnit({ unit: "apt-b" })).unit!;
  t.is(unit.status, 5 /* failed */);
  t.is(unit.reason, "not run: interrupted by SIGTERM");
  held.abort();
});
