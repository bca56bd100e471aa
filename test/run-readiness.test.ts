// `run --ready` over real processes and ports: a service completes its unit when its checks pass
// while it keeps running, releases its dependents then (ordering from the agent's timeline), and
// fails — stopping its process group — when it exits or is not ready in time.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import test, { type ExecutionContext } from "ava";
import { freePort } from "../harness/free-port.js";
import { eventually, tempDir, withAgent } from "./helpers/agent.js";
import { spawnCli } from "./helpers/cli.js";
import { groupGone, numberIn } from "./helpers/process-groups.js";

const STATUS = ["unspecified", "not registered", "pending", "started", "completed", "failed"];

type Agent = Awaited<ReturnType<typeof withAgent>>;

async function state(client: Agent["client"], unit: string) {
  const u = (await client.getUnit({ unit })).unit!;
  return { status: STATUS[u.status], reason: u.reason };
}

async function times(client: Agent["client"], unit: string) {
  const entry = (await client.getTimeline({})).entries.find((e) => e.unit === unit)!;
  const at = (t: typeof entry.startedAt) => (t ? timestampMs(t) : undefined);
  return { started: at(entry.startedAt), finished: at(entry.finishedAt) };
}

/**
 * A node script that waits for the file `go`, then does `then` (JS), writes Date.now() to `at`
 * and its pid to `pid`, and keeps running until it is signalled.
 */
function gatedScript(dir: string, then: string, gate = "go"): string {
  const path = join(dir, "gated.cjs");
  writeFileSync(
    path,
    `const fs = require("fs"), net = require("net"), dir = ${JSON.stringify(dir)};
fs.writeFileSync(dir + "/pid", String(process.pid));
const wait = () => fs.existsSync(dir + "/${gate}") ? go() : setTimeout(wait, 20);
function go() { ${then}; }
function mark() { fs.writeFileSync(dir + "/at", String(Date.now())); }
setInterval(() => {}, 1000);
wait();
`,
  );
  return path;
}

/** `run app --after web -- echo app ran`, waiting on web. */
async function dependent(t: ExecutionContext, { agent, socketPath }: Agent) {
  const app = spawnCli(["run", "app", "--after", "web", "--", "sh", "-c", "echo app ran"], { UNITSYNC_SOCKET: socketPath });
  t.teardown(() => app.child.kill("SIGKILL"));
  await eventually(() => agent.registry.get("app").waiting, "app to wait for web", 45_000);
  return app;
}

async function service(t: ExecutionContext, a: Agent, ready: string[], then: string, gate = "go") {
  const dir = tempDir(t);
  const script = gatedScript(dir, then, gate);
  const web = spawnCli(["run", "web", ...ready.flatMap((r) => ["--ready", r]), "--", process.execPath, script], { UNITSYNC_SOCKET: a.socketPath });
  t.teardown(() => web.child.kill("SIGKILL"));
  const pid = await numberIn(join(dir, "pid"));
  return { dir, web, pid };
}

/** Lets the service go, then checks: web completed while its process runs; app started after `at`. */
async function releasesDependent(t: ExecutionContext, ready: string[], then: string, beforeGo?: (a: Agent, dir: string) => Promise<void>) {
  const a = await withAgent(t);
  const app = await dependent(t, a);
  const { dir, web, pid } = await service(t, a, ready, then);
  t.is((await state(a.client, "web")).status, "started", "not ready before the service is");
  await beforeGo?.(a, dir);
  writeFileSync(join(dir, "go"), "");
  const appResult = await app.done;
  t.is(appResult.code, 0, appResult.stderr);
  t.is(appResult.stdout, "app ran\n");
  const at = await numberIn(join(dir, "at"));
  const [webTimes, appTimes] = [await times(a.client, "web"), await times(a.client, "app")];
  t.true(webTimes.finished! >= at, "web completed only once its service was ready");
  t.true(appTimes.started! >= webTimes.finished!, "app started after web completed");
  t.deepEqual(await state(a.client, "web"), { status: "completed", reason: "" });
  t.false(groupGone(pid), "the service keeps running after it is ready");
  web.child.kill("SIGTERM");
  const webResult = await web.done;
  t.is(webResult.code, 143, "run exits with the command's status when it ends");
  t.true(groupGone(pid));
  t.is((await state(a.client, "web")).status, "completed", "a service that ends after ready keeps its unit completed");
  return { a, webResult };
}

test("--ready tcp:PORT completes the unit when the port accepts; the dependent starts after that", async (t) => {
  const port = await freePort();
  const { webResult } = await releasesDependent(t, [`tcp:${port}`], `net.createServer(s => s.destroy()).listen(${port}, "127.0.0.1", mark)`);
  t.regex(webResult.stderr, new RegExp(`Unit "web" is ready: tcp:${port}`));
});

test("--ready log:REGEX completes the unit when a matching line is printed; the output passes through unchanged", async (t) => {
  const { webResult } = await releasesDependent(
    t,
    ["log:^listening on \\d+$"],
    `process.stdout.write("starting\\n"); process.stderr.write("listen"); mark(); setTimeout(() => process.stderr.write("ing on 42\\r\\nafter\\n"), 1)`,
  );
  t.is(webResult.stdout, "starting\n", "stdout unchanged");
  t.true(webResult.stderr.includes("listening on 42\r\nafter\n"), "stderr unchanged, \\r included");
});

test("--ready file:PATH is met by a file created later", async (t) => {
  const dir = tempDir(t);
  const marker = join(dir, "sub", "ready");
  await releasesDependent(t, [`file:${marker}`], `mark(); fs.mkdirSync(${JSON.stringify(join(dir, "sub"))}); fs.writeFileSync(${JSON.stringify(marker)}, "")`);
});

test("--ready exec:COMMAND is met once the command starts passing", async (t) => {
  const dir = tempDir(t);
  const flag = join(dir, "flag");
  await releasesDependent(t, [`exec:test -e ${flag}`], `mark(); fs.writeFileSync(${JSON.stringify(flag)}, "")`);
});

test("several checks: the unit completes only when every one has passed", async (t) => {
  const port = await freePort();
  const dir = tempDir(t);
  const flag = join(dir, "flag");
  await releasesDependent(
    t,
    [`tcp:127.0.0.1:${port}`, `file:${flag}`],
    `net.createServer(s => s.destroy()).listen(${port}, "127.0.0.1", () => setTimeout(() => { mark(); fs.writeFileSync(${JSON.stringify(flag)}, ""); }, 50))`,
  );
});

test("a service that exits 1 before ready fails its unit; a waiting dependent exits 5", async (t) => {
  const a = await withAgent(t);
  const port = await freePort();
  const app = await dependent(t, a);
  const web = await spawnCli(["run", "web", "--ready", `tcp:${port}`, "--", "sh", "-c", "exit 1"], { UNITSYNC_SOCKET: a.socketPath }).done;
  t.is(web.code, 1, web.stderr);
  t.deepEqual(await state(a.client, "web"), { status: "failed", reason: `exited with status 1 before ready (tcp:${port})` });
  const appResult = await app.done;
  t.is(appResult.code, 5, appResult.stderr);
  t.regex(appResult.stderr, new RegExp(`dependency "web" failed: exited with status 1 before ready \\(tcp:${port}\\)`));
});

test("a service never ready within --ready-timeout fails, is stopped with its whole group, and run exits 4", async (t) => {
  const a = await withAgent(t);
  const port = await freePort();
  const app = await dependent(t, a);
  // A group of two: the shell and a background sleep.
  const web = spawnCli(["run", "web", "--ready", `tcp:${port}`, "--ready-timeout", "1s", "--", "sh", "-c", `sleep 30 & wait`], {
    UNITSYNC_SOCKET: a.socketPath,
  });
  const result = await web.done;
  t.is(result.code, 4, result.stderr);
  // The group id as the runner reported it (a timeout may come before the shell could write its pid).
  const pid = (await a.client.getUnit({ unit: "web" })).unit!.process!.pid;
  t.deepEqual(await state(a.client, "web"), { status: "failed", reason: `not ready after 1s: tcp:${port} connection refused` });
  t.true(groupGone(pid), "no process of the group is left");
  t.is((await app.done).code, 5);
});

test("--run-timeout 1s stops a command that runs longer: unit failed 'timed out after 1s', exit 124, no process left", async (t) => {
  const a = await withAgent(t);
  const run = spawnCli(["run", "slow", "--run-timeout", "1s", "--", "sh", "-c", "sleep 30 & sleep 30"], { UNITSYNC_SOCKET: a.socketPath });
  const result = await run.done;
  t.is(result.code, 124, result.stderr);
  t.deepEqual(await state(a.client, "slow"), { status: "failed", reason: "timed out after 1s" });
  const pid = (await a.client.getUnit({ unit: "slow" })).unit!.process!.pid;
  t.true(groupGone(pid));
});

test("--run-timeout sends SIGKILL after the grace period to a group that ignores SIGTERM", async (t) => {
  const a = await withAgent(t);
  const run = spawnCli(["run", "stubborn", "--run-timeout", "200ms", "--", "sh", "-c", "trap '' TERM; sleep 30 & wait"], {
    UNITSYNC_SOCKET: a.socketPath,
  });
  const result = await run.done;
  t.is(result.code, 124, result.stderr);
  t.is((await state(a.client, "stubborn")).reason, "timed out after 200ms");
  const pid = (await a.client.getUnit({ unit: "stubborn" })).unit!.process!.pid;
  t.true(groupGone(pid));
});

test("a bad --ready is a usage error that declares nothing", async (t) => {
  const a = await withAgent(t);
  for (const [check, message] of [
    ["bogus:1", /--ready bogus:1: unknown check; use tcp:PORT/],
    ["tcp:99999", /"99999" is not a port/],
    ["log:(", /not a regular expression/],
    ["tcp:", /nothing after "tcp:"/],
  ] as const) {
    const result = await spawnCli(["run", "x", "--ready", check, "--", "true"], { UNITSYNC_SOCKET: a.socketPath }).done;
    t.is(result.code, 2, check);
    t.regex(result.stderr, message);
    t.is(result.stderr.split("\n").filter(Boolean).length, 1, result.stderr);
  }
  t.is((await a.client.listUnits({})).units.length, 0);
});

test("--ready notify is met by systemd-notify --ready from the command; STATUS= shows as the check's last error", async (t) => {
  const a = await withAgent(t);
  const dir = tempDir(t);
  const app = await dependent(t, a);
  const script = `echo $$ > ${dir}/pid; echo "$NOTIFY_SOCKET" > ${dir}/socket; systemd-notify --status=loading; while [ ! -e ${dir}/go ]; do sleep 0.02; done; date +%s%3N > ${dir}/at; systemd-notify --ready; exec sleep 30`;
  const web = spawnCli(["run", "web", "--ready", "notify", "--", "sh", "-c", script], { UNITSYNC_SOCKET: a.socketPath });
  t.teardown(() => web.child.kill("SIGKILL"));
  const pid = await numberIn(join(dir, "pid"));
  const socket = readFileSync(join(dir, "socket"), "utf8").trim();
  t.regex(socket, /notify\.sock$/);
  await eventually(() => a.agent.context.processes.get("web")?.checks[0]?.lastError === "no READY=1 yet (STATUS=loading)", "the STATUS to show", 45_000);
  writeFileSync(join(dir, "go"), "");
  const appResult = await app.done;
  t.is(appResult.code, 0, appResult.stderr);
  const at = await numberIn(join(dir, "at"));
  t.true((await times(a.client, "web")).finished! >= at);
  t.true((await times(a.client, "app")).started! >= (await times(a.client, "web")).finished!);
  t.false(groupGone(pid));
  web.child.kill("SIGTERM");
  await web.done;
  t.true(groupGone(pid));
  t.false(existsSync(socket), "the socket and its directory are removed");
});

test("--ready http://… is met by a 2xx answer; a 503 before it shows as the check's last error", async (t) => {
  const port = await freePort();
  const server = `require("http").createServer((q, s) => { s.statusCode = fs.existsSync(dir + "/go") ? (mark(), 200) : 503; s.end(); }).listen(${port}, "127.0.0.1")`;
  const a = await withAgent(t);
  const app = await dependent(t, a);
  const { dir, web, pid } = await service(t, a, [`http://127.0.0.1:${port}/healthz`], server, "listen");
  writeFileSync(join(dir, "listen"), "");
  await eventually(() => a.agent.context.processes.get("web")?.checks[0]?.lastError === "HTTP 503 Service Unavailable", "the 503 to show", 45_000);
  writeFileSync(join(dir, "go"), "");
  t.is((await app.done).code, 0);
  const at = await numberIn(join(dir, "at"));
  t.true((await times(a.client, "web")).finished! >= at, "completed only after a 200");
  t.false(groupGone(pid));
  web.child.kill("SIGTERM");
  await web.done;
});
