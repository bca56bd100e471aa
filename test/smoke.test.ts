// Smoke: an agent answers Ping over its socket, in-process and through the installed command.
import test from "ava";
import { withAgent } from "./helpers/agent.js";
import { cli, spawnCli } from "./helpers/cli.js";

test("ping answers over a real socket, in-process and as a process", async (t) => {
  const { client, socketPath } = await withAgent(t);
  const response = await client.ping({});
  t.is(response.version, "test");
  const inProcess = await cli(["ping", "--socket", socketPath]);
  t.is(inProcess.code, 0);
  t.regex(inProcess.stdout, /^Success\n/);
  const real = await spawnCli(["ping", "--socket", socketPath]).done;
  t.is(real.code, 0, real.stderr);
  t.regex(real.stdout, /^Success\n/);
});
