// Socket path resolution (--socket > UNITSYNC_SOCKET > $XDG_RUNTIME_DIR > /tmp/unitsync-<uid>.sock) and the path-length limit.
import test from "ava";
import { userInfo } from "node:os";
import { join } from "node:path";
import { startAgent } from "../src/agent/server.js";
import { MAX_SOCKET_PATH_BYTES, resolveSocketPath, socketPathProblem, socketTarget } from "../src/rpc/socket-path.js";
import { tempDir } from "./helpers/agent.js";
import { BIN, cli, spawnProcess } from "./helpers/cli.js";

const uid = userInfo().uid;

test("the --socket flag wins over every environment variable", (t) => {
  t.is(resolveSocketPath("/run/flag.sock", { UNITSYNC_SOCKET: "/run/env.sock", XDG_RUNTIME_DIR: "/run/user/1" }), "/run/flag.sock");
});

test("UNITSYNC_SOCKET comes next, before XDG_RUNTIME_DIR", (t) => {
  t.is(resolveSocketPath(undefined, { UNITSYNC_SOCKET: "/run/env.sock", XDG_RUNTIME_DIR: "/run/user/1" }), "/run/env.sock");
});

test("then coder's CODER_AGENT_SOCKET_PATH, before XDG_RUNTIME_DIR", (t) => {
  const env = { CODER_AGENT_SOCKET_PATH: "/run/coder.sock", XDG_RUNTIME_DIR: "/run/user/1" };
  t.is(resolveSocketPath(undefined, env), "/run/coder.sock");
  t.is(resolveSocketPath(undefined, { ...env, UNITSYNC_SOCKET: "/run/env.sock" }), "/run/env.sock");
  t.is(resolveSocketPath("/run/flag.sock", env), "/run/flag.sock");
  t.is(resolveSocketPath(undefined, { ...env, CODER_AGENT_SOCKET_PATH: "" }), "/run/user/1/unitsync.sock");
});

test("then $XDG_RUNTIME_DIR/unitsync.sock", (t) => {
  t.is(resolveSocketPath(undefined, { XDG_RUNTIME_DIR: "/run/user/1000" }), "/run/user/1000/unitsync.sock");
});

test("else /tmp/unitsync-<uid>.sock", (t) => {
  t.is(resolveSocketPath(undefined, {}), `/tmp/unitsync-${uid}.sock`);
});

test("empty settings count as unset", (t) => {
  t.is(resolveSocketPath("", { UNITSYNC_SOCKET: "", XDG_RUNTIME_DIR: "" }), `/tmp/unitsync-${uid}.sock`);
});

test("relative paths are made absolute against the working directory", (t) => {
  t.is(resolveSocketPath("a.sock", {}), join(process.cwd(), "a.sock"));
  t.is(resolveSocketPath(undefined, { UNITSYNC_SOCKET: "run/b.sock" }), join(process.cwd(), "run/b.sock"));
  t.is(resolveSocketPath(undefined, { XDG_RUNTIME_DIR: "xdg" }), join(process.cwd(), "xdg/unitsync.sock"));
});

test("the gRPC target has three slashes", (t) => {
  t.is(socketTarget("/tmp/x.sock"), "unix:///tmp/x.sock");
});

test("paths up to 107 bytes are fine; longer ones are a clear problem counted in bytes, not characters", (t) => {
  t.is(MAX_SOCKET_PATH_BYTES, 107);
  const fits = "/tmp/" + "a".repeat(107 - 5);
  t.is(Buffer.byteLength(fits), 107);
  t.is(socketPathProblem(fits), undefined);
  t.regex(socketPathProblem(fits + "a")!, /socket path is 108 bytes, over the 107-byte limit/);
  // 60 two-byte characters: 65 characters, 125 bytes.
  const wide = "/tmp/" + "é".repeat(60);
  t.true(wide.length <= 107);
  t.regex(socketPathProblem(wide)!, /125 bytes/);
});

test("the CLI resolves the socket the same way: flag, UNITSYNC_SOCKET, then $XDG_RUNTIME_DIR", async (t) => {
  const dir = tempDir(t);
  const xdgSocket = join(dir, "unitsync.sock");
  const agent = await startAgent({ socketPath: xdgSocket, version: "xdg", log: () => {} });
  t.teardown(() => agent.close());
  const missing = join(dir, "missing.sock");

  const viaXdg = await cli(["ping", "-o", "json"], { XDG_RUNTIME_DIR: dir });
  t.is(viaXdg.code, 0, viaXdg.stderr);
  t.is(JSON.parse(viaXdg.stdout).socket, xdgSocket);

  const viaEnv = await cli(["ping", "-o", "json"], { XDG_RUNTIME_DIR: join(dir, "nowhere"), UNITSYNC_SOCKET: xdgSocket });
  t.is(viaEnv.code, 0, viaEnv.stderr);

  // UNITSYNC_SOCKET is preferred over a live XDG socket...
  const envWins = await cli(["ping"], { XDG_RUNTIME_DIR: dir, UNITSYNC_SOCKET: missing });
  t.is(envWins.code, 3);
  t.true(envWins.stderr.includes(missing), envWins.stderr);

  // ...and the flag over both.
  const flagWins = await cli(["ping", "--socket", missing], { XDG_RUNTIME_DIR: dir, UNITSYNC_SOCKET: xdgSocket });
  t.is(flagWins.code, 3);
  t.true(flagWins.stderr.includes(missing), flagWins.stderr);
  const flagReaches = await cli(["ping", "--socket", xdgSocket], { UNITSYNC_SOCKET: missing });
  t.is(flagReaches.code, 0, flagReaches.stderr);
});

test("an over-long socket path is a usage error (exit 2) in one line, from the flag or the environment", async (t) => {
  const long = "/tmp/" + "s".repeat(110) + ".sock";
  for (const [argv, env] of [
    [["ping", "--socket", long], {}],
    [["ping", "--socket-path", long], {}],
    [["list"], { UNITSYNC_SOCKET: long }],
    [["start", "x"], { XDG_RUNTIME_DIR: "/tmp/" + "d".repeat(100) }],
    [["agent", "--socket", long], {}],
  ] as const) {
    const result = await cli([...argv], env);
    t.is(result.code, 2, `${argv.join(" ")}: ${result.stderr}`);
    t.is(result.stdout, "");
    t.regex(result.stderr, /^unitsync: socket path is \d+ bytes, over the 107-byte limit of Unix sockets; choose a shorter --socket or UNITSYNC_SOCKET\n$/);
  }
});

test("a uid with no passwd entry (docker run --user 1234) still gets the default socket", async (t) => {
  if (process.getuid?.() !== 0) return t.pass("needs root to switch to an unknown uid");
  const result = await spawnProcess("setpriv", ["--reuid=54321", "--regid=54321", "--clear-groups", process.execPath, BIN, "ping"], {
    HOME: "/nonexistent",
    UNITSYNC_SOCKET: "",
    CODER_AGENT_SOCKET_PATH: "",
    XDG_RUNTIME_DIR: "",
  }).done;
  t.is(result.code, 3, result.stderr);
  t.regex(result.stderr, /^unitsync: ping: no agent answers on \/tmp\/unitsync-54321\.sock;/);
});

test("with only CODER_AGENT_SOCKET_PATH set, every verb reaches the agent, and `unitsync agent` listens there", async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, "coder.sock");
  const env = { CODER_AGENT_SOCKET_PATH: socket };
  const agent = spawnProcess(process.execPath, [BIN, "agent"], env);
  t.teardown(() => void agent.child.kill("SIGKILL"));
  for (let ping = await cli(["ping"], env); ping.code !== 0; ping = await cli(["ping"], env)) {
    if (agent.child.exitCode !== null) return t.fail(agent.stderr());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const runs: [string[], RegExp][] = [
    [["ping"], /^Success\n$/],
    [["want", "app", "db"], /^Unit "app" declared dependencies: \[db\]\n$/],
    [["start", "db"], /^Unit "db" started with no dependencies\n$/],
    [["complete", "db"], /^Success\n$/],
    [["start", "app"], /^Unit "app" started immediately, dependencies already satisfied: \[db\]\n$/],
    [["complete", "app"], /^Success\n$/],
    [["list"], /^UNIT\s+STATUS\s+READY\napp\s+completed\s+true\ndb\s+completed\s+true\n$/],
    [["status", "app", "-o", "json"], /"unit_name": "app"/],
    [["start", "x"], /started/],
    [["fail", "x", "--reason", "no"], /^Unit "x" failed\n$/],
    [["timeline", "-o", "json"], /"critical_chain"/],
    [["graph", "-o", "mermaid"], /db/],
  ];
  for (const [argv, stdout] of runs) {
    const result = await cli(argv, env);
    t.is(result.code, 0, `${argv.join(" ")}: ${result.stderr}`);
    t.regex(result.stdout, stdout, argv.join(" "));
  }
  agent.child.kill("SIGTERM");
  t.is((await agent.done).code, 0);
});
