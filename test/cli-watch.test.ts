// `unitsync watch` as a real process: a snapshot, then events caused by other processes, filters and endings.
import { EventEmitter } from "node:events";
import { join } from "node:path";
import test from "ava";
import { main } from "../src/cli/main.js";
import { eventually, tempDir, withAgent } from "./helpers/agent.js";
import { cli, spawnCli } from "./helpers/cli.js";
import { jsonLines, outputMatches } from "./helpers/ops.js";

async function unitsync(socket: string, ...argv: string[]) {
  const result = await spawnCli(argv, { UNITSYNC_SOCKET: socket }).done;
  if (result.code !== 0) throw new Error(`unitsync ${argv.join(" ")} exited ${result.code}: ${result.stderr}`);
}

test("watch -o json prints the snapshot first, then events caused by other processes in order with contiguous seq", async (t) => {
  const { socketPath } = await withAgent(t);
  await unitsync(socketPath, "want", "ide", "git-clone");
  const watch = spawnCli(["watch", "-o", "json"], { UNITSYNC_SOCKET: socketPath });
  t.teardown(() => watch.child.kill("SIGKILL"));
  await outputMatches(watch, /"type":"snapshot".*\n/);

  await unitsync(socketPath, "start", "git-clone");
  await unitsync(socketPath, "complete", "git-clone");
  await unitsync(socketPath, "fail", "ide", "--reason", "no editor");
  await eventually(() => jsonLines(watch.stdout()).length >= 1 + 4, "four events after the snapshot", 20_000);

  const [snapshot, ...events] = jsonLines(watch.stdout());
  t.is(snapshot.type, "snapshot");
  t.deepEqual(snapshot.units, [{ unit_name: "ide", status: "pending", is_ready: false, attempt: 1 }]);
  t.deepEqual(
    events.map((e) => [e.type, e.unit, e.kind, e.from, e.to, e.reason, e.attempt]),
    [
      ["event", "git-clone", "status-changed", "not registered", "pending", "", 1],
      ["event", "git-clone", "status-changed", "pending", "started", "", 1],
      ["event", "git-clone", "status-changed", "started", "completed", "", 1],
      ["event", "ide", "status-changed", "pending", "failed", "no editor", 1],
    ],
  );
  t.deepEqual(
    events.map((e) => e.seq),
    events.map((_, i) => snapshot.last_seq + 1 + i),
    "seq continues from the snapshot's last_seq without a gap",
  );
  t.true(events.every((e) => typeof e.time === "string" && !Number.isNaN(Date.parse(e.time))));
  t.is(watch.child.exitCode, null, "watch keeps running");
});

test("watch with unit names shows only those units (JSON lines by default when stdout is not a TTY)", async (t) => {
  const { socketPath } = await withAgent(t);
  await unitsync(socketPath, "want", "ide", "git-clone");
  const watch = spawnCli(["watch", "ide", "dotfiles.install"], { UNITSYNC_SOCKET: socketPath });
  t.teardown(() => watch.child.kill("SIGKILL"));
  await outputMatches(watch, /"type":"snapshot".*\n/);

  await unitsync(socketPath, "start", "git-clone");
  await unitsync(socketPath, "complete", "git-clone");
  await unitsync(socketPath, "want", "dotfiles.install", "git-clone");
  await unitsync(socketPath, "start", "ide");
  await unitsync(socketPath, "want", "other", "ide");
  await unitsync(socketPath, "complete", "ide");
  await eventually(() => jsonLines(watch.stdout()).some((e) => e.unit === "ide" && e.to === "completed"), "ide to complete", 20_000);

  const [snapshot, ...events] = jsonLines(watch.stdout());
  t.deepEqual(snapshot.units, [
    { unit_name: "ide", status: "pending", is_ready: false, attempt: 1 },
    { unit_name: "dotfiles.install", status: "not registered", is_ready: true, attempt: 0 },
  ]);
  t.deepEqual(
    events.map((e) => `${e.unit} ${e.kind} ${e.from}->${e.to}`),
    [
      "dotfiles.install status-changed not registered->pending",
      "dotfiles.install dependencies-declared pending->pending",
      "ide status-changed pending->started",
      "ide status-changed started->completed",
    ],
  );
  const seqs = events.map((e) => e.seq);
  t.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "events keep their order");
});

test("watch -o table redraws the unit table as events arrive and ends with 0 on SIGINT", async (t) => {
  const { socketPath } = await withAgent(t);
  await unitsync(socketPath, "want", "ide", "git-clone", "env-setup");
  let stdout = "";
  const signals = new EventEmitter();
  const frames = () => stdout.split("\x1b[H\x1b[2J").filter(Boolean);
  const watching = main(["watch", "-o", "table", "--socket", socketPath], {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: () => true },
    env: {},
    signals,
  });
  await eventually(() => frames().length >= 1, "the first frame", 10_000);
  const first = frames()[0]!;
  t.regex(first, /^UNIT\s+STATUS\s+READY\s+WAITING ON\s+SINCE\n/);
  t.regex(first, /^ide\s+pending\s+false\s+git-clone, env-setup\s+\d+(\.\d+)?m?s$/m);
  t.regex(first, /\nwatching; Ctrl-C to stop\n$/);

  await unitsync(socketPath, "start", "git-clone");
  await eventually(() => /^git-clone\s+started\s+true\s+-/m.test(frames().at(-1)!), "a frame with git-clone started", 10_000);
  await unitsync(socketPath, "fail", "git-clone");
  await eventually(() => /^ide\s+pending\s+false\s+blocked: git-clone failed/m.test(frames().at(-1)!), "a frame with ide blocked", 10_000);

  signals.emit("SIGINT");
  t.is(await watching, 0);
});

test("SIGINT ends watch with exit 0", async (t) => {
  const { socketPath } = await withAgent(t);
  const watch = spawnCli(["watch", "-o", "json"], { UNITSYNC_SOCKET: socketPath });
  t.teardown(() => watch.child.kill("SIGKILL"));
  await outputMatches(watch, /"type":"snapshot".*\n/);
  watch.child.kill("SIGINT");
  const result = await watch.done;
  t.is(result.code, 0, result.stderr);
  t.is(result.stderr, "");
});

test("watch exits 3 when the agent process goes away", async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, "agent.sock");
  const agent = spawnCli(["agent"], { UNITSYNC_SOCKET: socket });
  t.teardown(() => agent.child.kill("SIGKILL"));
  await outputMatches(agent, /serving on/, "stderr");
  const watch = spawnCli(["watch", "-o", "json"], { UNITSYNC_SOCKET: socket });
  t.teardown(() => watch.child.kill("SIGKILL"));
  await outputMatches(watch, /"type":"snapshot".*\n/);

  agent.child.kill("SIGTERM");
  const result = await watch.done;
  t.is(result.code, 3, result.stderr);
  t.is(result.stderr, "unitsync: watch: the agent shut down\n");
  t.is((await agent.done).code, 0);
});

test("watch, timeline and graph with no agent exit 3 naming the socket", async (t) => {
  const socket = join(tempDir(t), "nobody.sock");
  for (const verb of [["watch", "-o", "json"], ["timeline"], ["graph"]]) {
    const result = await cli([...verb, "--socket", socket]);
    t.is(result.code, 3, verb[0]);
    t.is(result.stdout, "");
    t.regex(result.stderr, new RegExp(`^unitsync: ${verb[0]}: no agent answers on .*nobody\\.sock`));
  }
});
