// Agent shutdown with waits open: in-process close(), and SIGTERM/SIGINT to a real `unitsync agent` process.
import { existsSync, lstatSync } from "node:fs";
import { join } from "node:path";
import { type ServiceError, status } from "@grpc/grpc-js";
import test from "ava";
import { eventually, tempDir, withAgent } from "./helpers/agent.js";
import { spawnCli } from "./helpers/cli.js";
import { consume, within } from "./helpers/streams.js";

test("close() ends every open Start with UNAVAILABLE 'agent shutting down', removes the socket and resolves", async (t) => {
  const { agent, client, newClient, socketPath, logs } = await withAgent(t);
  const other = newClient();
  await client.want({ unit: "ide", dependsOn: ["git-clone"] });
  await client.want({ unit: "tests", dependsOn: ["ide"] });
  await client.want({ unit: "docs", dependsOn: ["env-setup", "git-clone"] });
  const waits = [consume(client.start({ unit: "ide" })), consume(other.start({ unit: "tests" })), consume(other.start({ unit: "docs" }))];
  const watch = consume(client.watch({}));
  for (const wait of [...waits, watch]) await wait.received(1);
  t.is(agent.registry.counts().waiters, 3);
  t.is(agent.context.streams, 4);

  const closing = agent.close();
  t.is(agent.close(), closing, "close is idempotent");
  await within(closing, 45_000, "close() to resolve");

  for (const wait of waits) {
    const error = await within(wait.ended, 45_000, "a start to end");
    t.is(error?.code, status.UNAVAILABLE);
    t.is(error?.details, "agent shutting down");
    t.is(error?.metadata.get("unitsync-error-kind")[0], "shutting-down");
  }
  t.is(await within(watch.ended, 45_000, "the watch to end"), undefined);
  t.false(existsSync(socketPath), "the socket file is gone");
  t.is(agent.registry.counts().waiters, 0);
  t.is(agent.context.streams, 0);
  t.deepEqual(logs, [logs[0]!, "stopped"]);
  t.regex(logs[0]!, new RegExp(`^serving on ${socketPath} \\(pid ${process.pid}, version test\\)$`));
  await within(agent.closed, 45_000, "agent.closed");

  const after = await t.throwsAsync<ServiceError>(client.ping({}, { deadline: new Date(Date.now() + 5_000) }));
  t.is(after.code, status.UNAVAILABLE, "nothing answers on the path any more");
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal} to a real agent process: a waiting \`unitsync start --reconnect 0\` exits 3, the agent exits 0, removes its socket and keeps its journal`, async (t) => {
    const socketPath = join(tempDir(t), "agent.sock");
    const agent = spawnCli(["agent", "--socket", socketPath]);
    t.teardown(() => void agent.child.kill("SIGKILL"));
    await eventually(() => agent.stderr().includes("serving on"), "the agent to serve", 45_000);
    t.true(lstatSync(socketPath).isSocket());

    const want = await spawnCli(["want", "x", "dep", "--socket", socketPath]).done;
    t.is(want.code, 0, want.stderr);
    const start = spawnCli(["start", "x", "--socket", socketPath, "--reconnect", "0"]);
    t.teardown(() => void start.child.kill("SIGKILL"));
    await eventually(() => start.stdout().includes('Unit "x" is waiting for dependencies'), "start to wait", 45_000);

    agent.child.kill(signal);
    const started = await within(start.done, 45_000, `the waiting start to exit after ${signal}`);
    t.is(started.code, 3, started.stderr);
    t.is(started.stderr, "unitsync: start x: agent shutting down\n");
    const stopped = await within(agent.done, 45_000, "the agent to exit");
    t.is(stopped.code, 0, stopped.stderr);
    t.false(existsSync(socketPath), "the socket file is gone");
    t.true(existsSync(`${socketPath}.journal`), "the journal stays for the next agent");

    const lines = stopped.stderr.trimEnd().split("\n");
    t.regex(lines[0]!, new RegExp(`^unitsync agent: serving on ${socketPath} \\(pid \\d+, version .+\\)$`));
    t.true(lines.includes(`unitsync agent: ${signal} received, shutting down`), stopped.stderr);
    t.is(lines.at(-1), "unitsync agent: stopped");
  });
}

test("a second `unitsync agent` on a live socket exits 1 naming the path; the first keeps serving", async (t) => {
  const { socketPath, client } = await withAgent(t);
  const second = await within(spawnCli(["agent", "--socket", socketPath]).done, 45_000, "the second agent to exit");
  t.is(second.code, 1);
  t.is(second.stderr, `unitsync: agent: an agent is already serving on ${socketPath}; stop it or choose another --socket\n`);
  t.is((await client.ping({})).version, "test");
});
