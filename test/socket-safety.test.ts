// Socket safety: a private socket (0600) in a private directory (0700) when the agent makes it,
// never replacing a file or symlink at the path, and no other user can connect.
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { startAgent } from "../src/agent/server.js";
import { SocketFileError } from "../src/agent/socket-file.js";
import { tempDir, withAgent } from "./helpers/agent.js";
import { cli, spawnProcess } from "./helpers/cli.js";

const mode = (path: string) => lstatSync(path).mode & 0o777;
const isRoot = process.getuid?.() === 0;

// Serial: it changes the process umask for a moment.
test.serial("the agent creates its socket 0600 and the directories it makes 0700, whatever the umask", async (t) => {
  const dir = tempDir(t);
  const socketPath = join(dir, "run", "unitsync", "agent.sock");
  const previous = process.umask(0);
  let agent;
  try {
    agent = await startAgent({ socketPath, version: "test" });
  } finally {
    process.umask(previous);
  }
  t.teardown(() => agent.close());
  t.true(lstatSync(socketPath).isSocket());
  t.is(mode(socketPath), 0o600);
  t.is(mode(join(dir, "run")), 0o700);
  t.is(mode(join(dir, "run", "unitsync")), 0o700);
});

test("a directory the agent did not create keeps its mode", async (t) => {
  const dir = tempDir(t);
  const shared = join(dir, "shared");
  mkdirSync(shared);
  chmodSync(shared, 0o755);
  await withAgent(t, { socketPath: join(shared, "agent.sock") });
  t.is(mode(shared), 0o755);
  t.is(mode(join(shared, "agent.sock")), 0o600);
});

test("a regular file, a symlink or a directory at the socket path is refused and left exactly as it was", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "file.sock");
  writeFileSync(file, "precious\n");
  const target = join(dir, "target.txt");
  writeFileSync(target, "also precious\n");
  const link = join(dir, "link.sock");
  symlinkSync(target, link);
  const dangling = join(dir, "dangling.sock");
  symlinkSync(join(dir, "nowhere"), dangling);
  const directory = join(dir, "dir.sock");
  mkdirSync(directory);

  const cases: [string, RegExp][] = [
    [file, /is a file that is not a socket; unitsync never replaces it/],
    [link, /is a symbolic link; unitsync never replaces it/],
    [dangling, /is a symbolic link; unitsync never replaces it/],
    [directory, /is a directory; unitsync never replaces it/],
  ];
  for (const [path, message] of cases) {
    const error = await t.throwsAsync(startAgent({ socketPath: path, version: "test" }), { instanceOf: SocketFileError });
    t.regex(error!.message, message);
    const result = await cli(["agent", "--socket", path]);
    t.is(result.code, 1, path);
    t.regex(result.stderr, /^unitsync: agent: .* unitsync never replaces it: remove it or choose another --socket\n$/);
  }
  t.is(readFileSync(file, "utf8"), "precious\n");
  t.is(readlinkSync(link), target);
  t.is(readFileSync(target, "utf8"), "also precious\n");
  t.is(readlinkSync(dangling), join(dir, "nowhere"));
  t.false(existsSync(join(dir, "nowhere")), "the dangling link's target was not created");
  t.true(statSync(directory).isDirectory());
});

test("a symlink to a live agent's socket is refused too, and the agent keeps serving", async (t) => {
  const { socketPath, client, dir } = await withAgent(t);
  const link = join(dir, "alias.sock");
  symlinkSync(socketPath, link);
  await t.throwsAsync(startAgent({ socketPath: link, version: "test" }), { message: /is a symbolic link/ });
  t.true(lstatSync(link).isSymbolicLink());
  t.is((await client.ping({})).version, "test");
});

/** Tries to connect to `path` as the user nobody; resolves with "connected" or the error code. */
async function connectAsNobody(path: string): Promise<string> {
  const script = `require("node:net").connect(${JSON.stringify(path)}).on("connect", function () { console.log("connected"); this.destroy(); }).on("error", (e) => console.log(e.code));`;
  const run = spawnProcess("setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", process.execPath, "-e", script], {}, "/");
  const result = await run.done;
  if (result.code !== 0) throw new Error(`setpriv failed (${result.code}): ${result.stderr}`);
  return result.stdout.trim();
}

const asRoot = isRoot ? test : test.skip;

asRoot("another user cannot connect: EACCES from the private directory, and from the socket mode alone", async (t) => {
  // The agent's own layout: a directory it created (0700) holding the socket, inside a directory
  // anyone may enter.
  const dir = tempDir(t);
  chmodSync(dir, 0o711);
  const socketPath = join(dir, "private", "agent.sock");
  const agent = await startAgent({ socketPath, version: "test" });
  t.teardown(() => agent.close());
  t.is(await connectAsNobody(socketPath), "EACCES");

  // With that directory opened too, the 0600 socket alone refuses another user.
  chmodSync(join(dir, "private"), 0o711);
  t.is(await connectAsNobody(socketPath), "EACCES");

  // Control: with the socket opened to everyone, nobody connects; so EACCES above came from the modes.
  chmodSync(socketPath, 0o666);
  t.is(await connectAsNobody(socketPath), "connected");
  chmodSync(socketPath, 0o600);
});
