// Tests are hermetic: each test process and its children have a private HOME, runtime and cache
// dir and no inherited socket setting, so a test that forgets --socket never reaches a real agent.
import test from "ava";
import { tmpdir, userInfo } from "node:os";
import { resolveSocketPath } from "../src/rpc/socket-path.js";
import { HERMETIC_DIRS, LEAKY_VARIABLES } from "./helpers/hermetic.js";
import { cli, spawnProcess } from "./helpers/cli.js";

test("the test process has private directories under the temp dir and no socket setting", (t) => {
  for (const [name, dir] of Object.entries(HERMETIC_DIRS)) {
    t.is(process.env[name], dir);
    t.true(dir.startsWith(tmpdir()), `${name}=${dir}`);
  }
  for (const name of LEAKY_VARIABLES) t.is(process.env[name], undefined, name);
  const socket = resolveSocketPath(undefined, process.env);
  t.not(socket, `/tmp/unitsync-${userInfo().uid}.sock`);
  t.true(socket.startsWith(HERMETIC_DIRS.XDG_RUNTIME_DIR), socket);
});

test("a CLI call without --socket, in-process or as a process, looks in the private runtime dir", async (t) => {
  const inProcess = await cli(["ping"]);
  t.is(inProcess.code, 3);
  t.true(inProcess.stderr.includes(`${HERMETIC_DIRS.XDG_RUNTIME_DIR}/unitsync.sock`), inProcess.stderr);
  const child = await spawnProcess("sh", ["-c", 'printf "%s\\n" "$HOME" "$XDG_RUNTIME_DIR" "$XDG_CACHE_HOME" "${UNITSYNC_SOCKET-unset}" "${CODER_AGENT_SOCKET_PATH-unset}"']).done;
  t.deepEqual(child.stdout.trimEnd().split("\n"), [HERMETIC_DIRS.HOME, HERMETIC_DIRS.XDG_RUNTIME_DIR, HERMETIC_DIRS.XDG_CACHE_HOME, "unset", "unset"]);
});
