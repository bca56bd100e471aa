// The agent's socket file: 0600 socket, 0700 directory, live/stale/foreign files at the path, path length.
import { linkSync, readdirSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, unlinkSync, writeFileSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import { connect } from "../src/client/client.js";
import { type Agent, startAgent } from "../src/agent/server.js";
import { temporarySocketPath } from "../src/agent/socket-file.js";
import { eventually, tempDir } from "./helpers/agent.js";
import { spawnProcess } from "./helpers/cli.js";

async function serve(t: ExecutionContext, socketPath: string): Promise<Agent> {
  const agent = await startAgent({ socketPath, version: "test", graceMs: 500 });
  t.teardown(() => agent.close());
  return agent;
}

async function answers(socketPath: string): Promise<string> {
  const client = connect(socketPath);
  try {
    return (await client.ping({}, { deadline: new Date(Date.now() + 45_000) })).version;
  } finally {
    client.close();
  }
}

test("the socket is created with mode 0600 and removed when the agent closes", async (t) => {
  const socketPath = join(tempDir(t), "agent.sock");
  const agent = await serve(t, socketPath);
  t.true(lstatSync(socketPath).isSocket());
  t.is(statSync(socketPath).mode & 0o777, 0o600);
  t.is(await answers(socketPath), "test");
  await agent.close();
  t.false(existsSync(socketPath));
});

test("a missing parent directory is created with mode 0700", async (t) => {
  const dir = tempDir(t);
  const socketPath = join(dir, "run", "unitsync", "agent.sock");
  await serve(t, socketPath);
  t.is(statSync(join(dir, "run")).mode & 0o777, 0o700);
  t.is(statSync(join(dir, "run", "unitsync")).mode & 0o777, 0o700);
  t.is(statSync(socketPath).mode & 0o777, 0o600);
  t.is(await answers(socketPath), "test");
});

test("a second agent on a live socket refuses, naming the path; the first keeps serving", async (t) => {
  const socketPath = join(tempDir(t), "agent.sock");
  await serve(t, socketPath);
  const error = await t.throwsAsync(startAgent({ socketPath, version: "second" }));
  t.is(error.message, `an agent is already serving on ${socketPath}; stop it or choose another --socket`);
  t.true(lstatSync(socketPath).isSocket());
  t.is(await answers(socketPath), "test");
});

test("a stale socket file left by a killed process is replaced", async (t) => {
  const socketPath = join(tempDir(t), "agent.sock");
  // A process that listens on the path and dies without cleaning up leaves a socket nobody answers on.
  const holder = spawnProcess(process.execPath, [
    "-e",
    "require('node:net').createServer().listen(process.argv[1], () => console.log('listening'))",
    socketPath,
  ]);
  await eventually(() => holder.stdout().includes("listening"), "the holder to listen");
  holder.child.kill("SIGKILL");
  await holder.done;
  t.true(lstatSync(socketPath).isSocket(), "the killed process left its socket file");

  await serve(t, socketPath);
  t.is(await answers(socketPath), "test");
  t.is(statSync(socketPath).mode & 0o777, 0o600);
});

test("a stale socket is replaced without the path ever going missing, so no client takes it for no agent at all", async (t) => {
  const dir = tempDir(t);
  const socketPath = join(dir, "agent.sock");
  // A socket inode nobody listens on, kept under a spare name: linked to the path, it is the stale
  // socket an agent killed by SIGKILL leaves.
  const spare = join(dir, "stale");
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(join(dir, "holder.sock"), resolve));
  linkSync(join(dir, "holder.sock"), spare);
  await new Promise((resolve) => holder.close(resolve));
  // A process that looks at the path as fast as it can while the window file (naming the restart) exists.
  const window = join(dir, "window");
  const done = join(dir, "done");
  const watcher = spawnProcess(process.execPath, [
    "-e",
    `const fs = require("node:fs"); const [path, window, done] = process.argv.slice(1); let misses = 0, looks = 0;
     console.log("watching");
     const round = () => { try { return fs.readFileSync(window, "utf8"); } catch { return ""; } };
     for (let i = 0; ; i++) {
       if (i % 256 === 0 && fs.existsSync(done)) break;
       const before = round();
       if (before === "") continue;
       looks++;
       let missing = false;
       try { fs.lstatSync(path); } catch { missing = true; }
       // Missing while the same restart's window was open before and after the look (a look that
       // straddles two restarts could see the path between one agent's close and the next link).
       if (missing && round() === before) misses++;
     }
     console.log(JSON.stringify({ misses, looks }));`,
    socketPath,
    window,
    done,
  ]);
  t.teardown(() => void watcher.child.kill("SIGKILL"));
  await eventually(() => watcher.stdout().includes("watching"), "the watcher to start");
  for (let i = 0; i < 20; i++) {
    linkSync(spare, socketPath);
    writeFileSync(window, `restart ${i}`);
    const agent = await startAgent({ socketPath, version: "test", graceMs: 500 });
    unlinkSync(window);
    t.is(await answers(socketPath), "test");
    await agent.close();
  }
  writeFileSync(done, "");
  const result = await watcher.done;
  const { misses, looks } = JSON.parse(result.stdout.trim().split("\n").at(-1)!) as { misses: number; looks: number };
  t.true(looks > 0, "the watcher looked during the restarts");
  t.is(misses, 0, `the socket path was missing ${misses} of ${looks} looks`);
  t.deepEqual(readdirSync(dir).filter((name) => name.startsWith(".")), [], "no temporary socket left");
});

/** A socket inode nobody listens on, linked at each of `paths`: what agents killed by SIGKILL leave. */
async function staleSockets(dir: string, paths: string[]): Promise<void> {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(join(dir, "holder.sock"), resolve));
  for (const path of paths) linkSync(join(dir, "holder.sock"), path);
  await new Promise((resolve) => holder.close(resolve));
}

test("two agents of one process replacing stale sockets in one folder at once each serve their own", async (t) => {
  const dir = tempDir(t);
  const first = join(dir, "first.sock");
  const second = join(dir, "second.sock");
  await staleSockets(dir, [first, second]);
  const agents = await Promise.all([
    startAgent({ socketPath: first, version: "first", graceMs: 500 }),
    startAgent({ socketPath: second, version: "second", graceMs: 500 }),
  ]);
  t.teardown(() => Promise.all(agents.map((agent) => agent.close())).then(() => {}));
  t.is(await answers(first), "first");
  t.is(await answers(second), "second");
  t.deepEqual(readdirSync(dir).filter((name) => name.startsWith(".")), [], "no temporary socket left");
});

test("the temporary name is the socket's own, random, and fits the socket path limit", (t) => {
  const dir = "/run/user/1000";
  const path = join(dir, "agent.sock");
  const one = temporarySocketPath(path)!;
  const two = temporarySocketPath(path)!;
  t.not(one, two);
  t.regex(one, /^\/run\/user\/1000\/\.agent\.sock\.[0-9a-f]{12}\.tmp$/);
  t.regex(temporarySocketPath(join(dir, "other.sock"))!, /\/\.other\.sock\./);
  // A socket name with no room for itself twice: a short random name beside it.
  const long = join(dir, "s".repeat(107 - dir.length - 1));
  const short = temporarySocketPath(long)!;
  t.regex(short, /^\/run\/user\/1000\/\.us-[0-9a-f]{12}$/);
  t.true(Buffer.byteLength(short) <= 107);
  // A folder with no room for any name beside the socket: none (the agent unlinks, then binds).
  const deep = join("/" + "d".repeat(100), "a.sock");
  t.is(temporarySocketPath(deep), undefined);
});

test("a regular file at the socket path is refused and left in place", async (t) => {
  const socketPath = join(tempDir(t), "agent.sock");
  writeFileSync(socketPath, "precious data");
  const error = await t.throwsAsync(startAgent({ socketPath, version: "test" }));
  t.is(error.message, `${socketPath} is a file that is not a socket; unitsync never replaces it: remove it or choose another --socket`);
  t.is(readFileSync(socketPath, "utf8"), "precious data");
});

test("a symbolic link at the socket path is refused and left in place", async (t) => {
  const dir = tempDir(t);
  const target = join(dir, "target");
  writeFileSync(target, "precious data");
  const socketPath = join(dir, "agent.sock");
  symlinkSync(target, socketPath);
  const error = await t.throwsAsync(startAgent({ socketPath, version: "test" }));
  t.is(error.message, `${socketPath} is a symbolic link; unitsync never replaces it: remove it or choose another --socket`);
  t.true(lstatSync(socketPath).isSymbolicLink());
  t.is(readlinkSync(socketPath), target);
  t.is(readFileSync(target, "utf8"), "precious data");
});

test("a directory at the socket path is refused", async (t) => {
  const socketPath = join(tempDir(t), "agent.sock");
  mkdirSync(socketPath);
  const error = await t.throwsAsync(startAgent({ socketPath, version: "test" }));
  t.regex(error.message, /is a directory; unitsync never replaces it/);
  t.true(statSync(socketPath).isDirectory());
});

test("a socket path over 107 bytes is refused with a clear message and nothing is created", async (t) => {
  const dir = tempDir(t);
  const parent = join(dir, "sub");
  const socketPath = join(parent, "s".repeat(108 - parent.length - 1));
  t.is(Buffer.byteLength(socketPath), 108);
  const error = await t.throwsAsync(startAgent({ socketPath, version: "test" }));
  t.is(
    error.message,
    "socket path is 108 bytes, over the 107-byte limit of Unix sockets; choose a shorter --socket or UNITSYNC_SOCKET",
  );
  t.false(existsSync(parent), "no directory was created for a path that cannot be used");
});

test("a socket path of exactly 107 bytes works", async (t) => {
  const dir = tempDir(t);
  const socketPath = join(dir, "s".repeat(107 - dir.length - 1));
  t.is(Buffer.byteLength(socketPath), 107);
  await serve(t, socketPath);
  t.is(await answers(socketPath), "test");
});
