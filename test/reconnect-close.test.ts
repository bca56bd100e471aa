// A closed client stays closed: a reconnecting client's Start stream that is waiting to retry
// while no agent answers ends CANCELLED when the client is closed, opens nothing on the next
// agent, and leaves no timer behind (its process exits by itself); a call on a closed client
// ends CANCELLED, which no reconnecting client retries.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import test from "ava";
import { connect } from "../src/client/client.js";
import { startAgent } from "../src/agent/server.js";
import { Status } from "../src/client/status-codes.js";
import { eventually, tempDir } from "./helpers/agent.js";
import { spawnProcess } from "./helpers/cli.js";

const RECONNECT = fileURLToPath(new URL("../src/client/reconnect.js", import.meta.url));

// The client in a process of its own: it waits on Start, and closes itself on SIGUSR2.
const CLIENT = `
const [module, socketPath] = process.argv.slice(1);
const { connectReconnecting } = await import(module);
const client = connectReconnecting(socketPath, { reconnectMs: 60_000, notice: (line) => console.log("notice " + line) });
await client.ping({});
process.once("SIGUSR2", () => { client.close(); console.log("closed"); });
try {
  for await (const message of client.start({ unit: "ide", startId: "wait-1" })) console.log("message " + message.event.case);
  console.log("ended ok");
} catch (error) {
  console.log("ended " + error.code + " " + error.details);
}
`;

test("a closed reconnecting client re-opens nothing: its waiting Start ends CANCELLED and its process exits", async (t) => {
  t.timeout(50_000);
  const dir = tempDir(t);
  const socketPath = join(dir, "agent.sock");
  const first = await startAgent({ socketPath, version: "first", graceMs: 500 });
  t.teardown(() => first.close());
  const setup = connect(socketPath, { separate: true });
  await setup.want({ unit: "ide", dependsOn: ["git-clone"] });
  setup.close();

  const child = spawnProcess(process.execPath, ["--input-type=module", "-e", CLIENT, RECONNECT, socketPath]);
  t.teardown(() => void child.child.kill("SIGKILL"));
  await eventually(() => child.stdout().includes("message waiting") || child.child.exitCode !== null, "the start to wait", 20_000);
  t.regex(child.stdout(), /message waiting/, child.stderr());

  await first.close();
  await eventually(() => child.stdout().includes("notice lost the agent") || child.child.exitCode !== null, "the client to lose the agent", 20_000);
  child.child.kill("SIGUSR2");
  await eventually(() => child.stdout().includes("closed") || child.child.exitCode !== null, "the client to close", 20_000);

  const second = await startAgent({ socketPath, version: "second", graceMs: 500 });
  t.teardown(() => second.close());
  await eventually(() => child.child.exitCode !== null, "the client process to exit by itself", 20_000);
  const result = await child.done;
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^ended 1 the client is closed$/m, result.stdout);
  t.notRegex(result.stdout, /reconnected/);
  // A Start re-opened on the second agent would have registered its unit there.
  const look = connect(socketPath, { separate: true });
  t.teardown(() => look.close());
  t.deepEqual((await look.listUnits({})).units.map((unit) => unit.name), []);
  t.is(second.context.connections(), 1, "only this test's own connection");
});

test("a call on a closed client ends CANCELLED, not UNAVAILABLE (nothing retries it)", async (t) => {
  const dir = tempDir(t);
  const socketPath = join(dir, "agent.sock");
  const agent = await startAgent({ socketPath, version: "test", graceMs: 500 });
  t.teardown(() => agent.close());
  const client = connect(socketPath, { separate: true });
  client.close();
  const error = await t.throwsAsync(client.ping({}));
  t.is((error as unknown as { code: number }).code, Status.CANCELLED);
  t.is((error as unknown as { details: string }).details, "the client is closed");
});
