// The agent's private socket must not narrow the modes of other files its process creates meanwhile.
import { statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import test from "ava";
import { listenPrivately } from "../src/agent/socket-file.js";
import { tempDir } from "./helpers/agent.js";

test("a file created while the agent starts listening keeps its mode, and the socket is 0600 from the start", async (t) => {
  const dir = tempDir(t);
  const server = createServer();
  t.teardown(() => server.close());
  const socket = join(dir, "agent.sock");
  const listening = listenPrivately(server, socket);
  // The socket exists, private, the moment listen() returns ...
  t.is(statSync(socket).mode & 0o777, 0o600);
  // ... and a script written by the same process before the listen callback stays executable.
  const script = join(dir, "script.sh");
  writeFileSync(script, "#!/bin/sh\n", { mode: 0o755 });
  await listening;
  t.is(statSync(script).mode & 0o777, 0o755 & ~process.umask());
  t.is(statSync(socket).mode & 0o777, 0o600);
});
