// The journal: record format, a torn tail cut at every byte, replay only in the same boot and
// container session, compaction, a clean shutdown that ends the state, and a real kill -9.
import { copyFileSync, existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { pid1StartFrom } from "../src/agent/boot-identity.js";
import { decodeRecords, encodeRecord } from "../src/agent/journal-file.js";
import { startAgent } from "../src/agent/server.js";
import { connect, type UnitSyncClient } from "../src/client/client.js";
import { tempDir } from "./helpers/agent.js";
import { spawnAgent } from "./helpers/drill-agent.js";
import { consume } from "./helpers/streams.js";
import { until } from "./helpers/drill.js";

const identity = { bootId: "boot-a", pid1Start: "100" };

/** Everything a client reads of the state, with times: a replay must give back exactly this. */
async function state(client: UnitSyncClient) {
  const [list, graph, timeline] = await Promise.all([client.listUnits({}), client.getGraph({}), client.getTimeline({})]);
  return { units: list.units, edges: graph.edges, timeline: timeline.entries };
}

async function agentOn(dir: string, name: string, journal: string, options: { identity?: typeof identity; logs?: string[]; compact?: number } = {}) {
  const logs = options.logs ?? [];
  const agent = await startAgent({
    socketPath: join(dir, `${name}.sock`),
    version: "test",
    journal,
    journalIdentity: options.identity ?? identity,
    ...(options.compact ? { journalCompactBytes: options.compact } : {}),
    log: (line) => logs.push(line),
    graceMs: 200,
  });
  const client = connect(agent.socketPath);
  return { agent, client, logs, stop: async () => (client.close(), await agent.close()) };
}

/** A start-up in progress: edges, a started, a completed and a failed unit, an open wait, owners. */
async function someStartUp(client: UnitSyncClient, owned: UnitSyncClient) {
  await owned.want({ unit: "ide", dependsOn: ["git-clone", "env-setup"] });
  for await (const _ of client.start({ unit: "git-clone", startId: "s1" })) void _;
  await client.complete({ unit: "git-clone" });
  await client.want({ unit: "tests", dependsOn: ["ide"] });
  await client.want({ unit: "lint", dependsOn: ["git-clone"], condition: 3 });
  for await (const _ of client.start({ unit: "env-setup" })) void _;
  await client.fail({ unit: "tests", reason: "flaky: exit 1" });
  await owned.want({ unit: "db-migrate", dependsOn: ["database"] });
  const waiting = consume(owned.start({ unit: "db-migrate" }));
  await waiting.received(1);
  return waiting;
}

test("records round-trip; a cut, a flipped byte or garbage ends the valid prefix", (t) => {
  const records = [{ k: "header", v: 1 }, { k: "want", u: "ide ✓", d: ["a"] }, { k: "complete", u: "a" }];
  const bytes = Buffer.concat(records.map(encodeRecord));
  t.deepEqual(decodeRecords(bytes).records, records);
  const lastStart = bytes.length - encodeRecord(records[2]!).length;
  for (let cut = lastStart; cut < bytes.length; cut++) {
    const decoded = decodeRecords(bytes.subarray(0, cut));
    t.deepEqual(decoded.records, records.slice(0, 2), `cut at ${cut}`);
    t.is(decoded.droppedBytes, cut - lastStart);
  }
  const flipped = Buffer.from(bytes);
  flipped[lastStart + 10]! ^= 0x20;
  t.deepEqual(decodeRecords(flipped).records, records.slice(0, 2));
  t.deepEqual(decodeRecords(Buffer.concat([bytes, Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3])])).records, records);
});

test("PID 1's start time is field 22 of /proc/1/stat, whatever its command name holds", (t) => {
  const rest = "S 0 1 1 0 -1 4194560 1 2 3 4 5 6 7 8 20 0 1 0 4242 1000 10";
  t.is(pid1StartFrom(`1 (systemd) ${rest}`), "4242");
  t.is(pid1StartFrom(`1 (my ) (init) ${rest}`), "4242");
});

test("an agent replays its journal: the same units, edges, statuses, owners, reasons and times", async (t) => {
  const dir = tempDir(t);
  const journal = join(dir, "agent.journal");
  const first = await agentOn(dir, "a", journal);
  const owned = connect(first.agent.socketPath, { owner: "ide.sh" });
  const waiting = await someStartUp(first.client, owned);
  await waiting.received(1);
  const before = await state(first.client);
  t.is(statSync(journal).mode & 0o777, 0o600);
  const copy = join(dir, "copy.journal");
  copyFileSync(journal, copy); // what a crash leaves
  owned.close();
  await first.stop();
  t.true(existsSync(journal), "a clean shutdown keeps the journal");

  const second = await agentOn(dir, "b", copy);
  t.teardown(second.stop);
  const after = await state(second.client);
  // The wait that was open is not open on the new agent (its client reconnects), the rest is equal.
  t.deepEqual(after, { ...before, units: before.units.map((u) => ({ ...u, waiting: false })) });
  t.true(second.logs.some((l) => /replayed \d+ records \(\d+ units\)/.test(l)), second.logs.join("\n"));
  const counts = (await second.client.ping({})).counts!;
  t.true(counts.replayedRecords > 5n);
  t.is(counts.replayedRecords, counts.journalRecords);
  // A resumed wait with the start_id that started the unit answers started; another id is refused.
  const resumed = consume(second.client.start({ unit: "git-clone", startId: "s1" }));
  t.is(await resumed.ended, undefined);
  t.is(resumed.messages[0]?.event.case, "started");
  const other = consume(second.client.start({ unit: "env-setup", startId: "s2" }));
  t.regex((await other.ended)?.details ?? "", /already started/);
});

test("a journal cut at every byte offset of its last record replays to the state before that record", async (t) => {
  const dir = tempDir(t);
  const journal = join(dir, "agent.journal");
  const first = await agentOn(dir, "a", journal);
  const owned = connect(first.agent.socketPath, { owner: "ide.sh" });
  (await someStartUp(first.client, owned)).ended.catch(() => {});
  const beforeLast = readFileSync(journal);
  await first.client.complete({ unit: "env-setup" }); // the last record
  const full = readFileSync(journal);
  owned.close();
  await first.stop();
  t.true(full.length > beforeLast.length);

  const expectedAgent = await agentOn(dir, "e", (writeFileSync(join(dir, "e.journal"), beforeLast, { mode: 0o600 }), join(dir, "e.journal")));
  const expected = await state(expectedAgent.client);
  await expectedAgent.stop();
  let cuts = 0;
  for (let cut = beforeLast.length; cut < full.length; cut++) {
    const path = join(dir, `cut.journal`);
    writeFileSync(path, full.subarray(0, cut), { mode: 0o600 });
    const agent = await agentOn(dir, "c", path);
    t.deepEqual(await state(agent.client), expected, `cut at byte ${cut}`);
    const dropped = cut - beforeLast.length;
    if (dropped > 0) t.true(agent.logs.some((l) => l.includes(`dropped ${dropped} bytes of a torn or corrupt record at offset ${beforeLast.length}`)), agent.logs.join("\n"));
    // The torn tail is cut off, and new records follow the valid ones.
    await agent.client.complete({ unit: "env-setup" });
    const again = readFileSync(path);
    t.deepEqual(decodeRecords(again).droppedBytes, 0);
    await agent.stop();
    cuts++;
  }
  t.is(cuts, full.length - beforeLast.length);
  // And the whole journal replays the last record too.
  writeFileSync(join(dir, "full.journal"), full, { mode: 0o600 });
  const whole = await agentOn(dir, "w", join(dir, "full.journal"));
  t.is((await whole.client.getUnit({ unit: "env-setup" })).unit!.status, 4);
  await whole.stop();
});

test("a journal from another boot or another container session is ignored: the agent starts empty and says so", async (t) => {
  const dir = tempDir(t);
  const journal = join(dir, "agent.journal");
  const first = await agentOn(dir, "a", journal);
  await first.client.want({ unit: "ide", dependsOn: ["git-clone"] });
  copyFileSync(journal, `${journal}.saved`);
  await first.stop();
  for (const [other, why] of [
    [{ bootId: "boot-b", pid1Start: "100" }, /it is from another boot \(boot id boot-a, now boot-b\); starting empty/],
    [{ bootId: "boot-a", pid1Start: "200" }, /it is from another container session \(PID 1 started at 100, now 200\); starting empty/],
  ] as const) {
    copyFileSync(`${journal}.saved`, journal);
    const agent = await agentOn(dir, "b", journal, { identity: other });
    t.deepEqual((await agent.client.listUnits({})).units, []);
    t.true(agent.logs.some((l) => why.test(l)), agent.logs.join("\n"));
    await agent.stop();
  }
  // Control: the same identity replays it.
  copyFileSync(`${journal}.saved`, journal);
  const same = await agentOn(dir, "c", journal);
  t.is((await same.client.listUnits({})).units.length, 1);
  await same.stop();
});

test("a symlink or another user's file at the journal path is refused", async (t) => {
  const dir = tempDir(t);
  const target = join(dir, "precious");
  writeFileSync(target, "keep me");
  symlinkSync(target, join(dir, "agent.journal"));
  const error = await t.throwsAsync(agentOn(dir, "a", join(dir, "agent.journal")));
  t.regex(error!.message, /journal: .*agent.journal is a symbolic link; unitsync never follows it/);
  t.is(readFileSync(target, "utf8"), "keep me");
  writeFileSync(join(dir, "open.journal"), "", { mode: 0o644 });
  const open = await t.throwsAsync(agentOn(dir, "b", join(dir, "open.journal")));
  t.regex(open!.message, /is readable or writable by others \(mode 644\)/);
});

test("the journal is compacted when it grows, and replays to the same state", async (t) => {
  const dir = tempDir(t);
  const journal = join(dir, "agent.journal");
  const first = await agentOn(dir, "a", journal, { compact: 4_096 });
  for (let i = 0; i < 20; i++) await first.client.want({ unit: `u${i}`, dependsOn: ["base"] });
  // A script run again and again re-declares the same edges: nothing changes, the journal grows.
  for (let round = 0; round < 20; round++) for (let i = 0; i < 20; i++) await first.client.want({ unit: `u${i}`, dependsOn: ["base"] });
  for await (const _ of first.client.start({ unit: "base" })) void _;
  const before = await state(first.client);
  t.true(first.logs.some((l) => /compacted \d+ records to \d+/.test(l)), first.logs.join("\n"));
  t.true(statSync(journal).size < 4_096 * 2);
  copyFileSync(journal, `${journal}.copy`);
  await first.stop();
  const second = await agentOn(dir, "b", `${journal}.copy`);
  t.deepEqual(await state(second.client), before);
  await second.stop();
});

test("kill -9 of a real agent: a new agent on the same socket serves the same graph; --no-journal writes none", async (t) => {
  const agent = await spawnAgent(t);
  await agent.client.want({ unit: "ide", dependsOn: ["git-clone"] });
  await agent.client.want({ unit: "git-clone", dependsOn: ["dotfiles"] });
  for await (const _ of agent.client.start({ unit: "dotfiles" })) void _;
  await agent.client.complete({ unit: "dotfiles" });
  const before = await state(agent.client);
  t.true(existsSync(`${agent.socketPath}.journal`));
  agent.spawned.child.kill("SIGKILL");
  await agent.spawned.done;
  const { spawnCli } = await import("./helpers/cli.js");
  const restarted = spawnCli(["agent", "--socket", agent.socketPath]);
  t.teardown(() => void restarted.child.kill("SIGKILL"));
  const client = connect(agent.socketPath);
  t.teardown(() => client.close());
  const { until } = await import("./helpers/drill.js");
  await until(async () => (await client.ping({}), true), "the restarted agent");
  t.deepEqual(await state(client), before);
  t.regex(restarted.stderr(), /replayed 4 records \(3 units\)/);

  const none = await spawnAgent(t, ["--no-journal"]);
  await none.client.want({ unit: "a", dependsOn: ["b"] });
  t.false(existsSync(`${none.socketPath}.journal`));
});

test("a start refused at once because a dependency failed is journalled: kill -9 and replay give the same state", async (t) => {
  const agent = await spawnAgent(t);
  for await (const _ of agent.client.start({ unit: "git-clone" })) void _;
  await agent.client.fail({ unit: "git-clone", reason: "no network" });
  await agent.client.want({ unit: "ide", dependsOn: ["git-clone"] });
  // Refused before any message, each after asking to start (the timeline keeps when).
  for (const unit of ["ide", "tests"]) {
    if (unit === "tests") await agent.client.want({ unit: "tests", dependsOn: ["ide"] });
    const refused = consume(agent.client.start({ unit }));
    t.regex((await refused.ended)?.details ?? "", /dependency "git-clone" failed/);
    t.is(refused.messages.length, 0, "refused before any message");
  }
  const before = await state(agent.client);
  t.true(before.units.some((u) => u.name === "tests"));
  agent.spawned.child.kill("SIGKILL");
  await agent.spawned.done;
  const { spawnCli } = await import("./helpers/cli.js");
  const restarted = spawnCli(["agent", "--socket", agent.socketPath]);
  t.teardown(() => void restarted.child.kill("SIGKILL"));
  const client = connect(agent.socketPath, { separate: true });
  t.teardown(() => client.close());
  await until(async () => (await client.ping({}), true), "the restarted agent");
  t.deepEqual(await state(client), before);
  const counts = (await client.ping({})).counts!;
  t.is(counts.replayedRecords, counts.journalRecords, restarted.stderr());
  t.notRegex(restarted.stderr(), /not replayed/);
});

test("a declared plan, process reports and a new attempt replay through the same calls", async (t) => {
  const dir = tempDir(t);
  const journal = join(dir, "agent.journal");
  const first = await agentOn(dir, "a", journal);
  await first.client.declarePlan({ units: [{ name: "db", after: [] }, { name: "app", after: [{ name: "db" }] }] });
  for await (const _ of first.client.start({ unit: "db" })) void _;
  await first.client.reportProcess({ unit: "db", process: { phase: 2, pid: 4242, attempt: 1, maxAttempts: 1 } });
  await first.client.complete({ unit: "db" });
  for await (const _ of first.client.start({ unit: "db" })) void _; // a second attempt
  const before = await state(first.client);
  const beforeUnit = (await first.client.getUnit({ unit: "db" })).unit!;
  copyFileSync(journal, `${journal}.copy`);
  await first.stop();
  const second = await agentOn(dir, "b", `${journal}.copy`);
  t.teardown(second.stop);
  t.deepEqual(await state(second.client), before);
  t.deepEqual((await second.client.getUnit({ unit: "db" })).unit, beforeUnit);
  t.false(second.logs.some((l) => l.includes("not replayed")), second.logs.join("\n"));
});

test("lock leases: compaction drops the ones granted and released, and keeps the held one, which replays reserved", async (t) => {
  const dir = tempDir(t);
  const journal = join(dir, "agent.journal");
  const first = await agentOn(dir, "a", journal, { compact: 4_096 });
  for (let i = 0; i < 40; i++) {
    const stop = new AbortController();
    const lease = first.client.acquireLocks({ leaseId: `l${i}`, unit: `u${i}`, pid: 7, locks: [{ name: "dpkg", capacity: 0 }] }, { signal: stop.signal });
    const messages = lease[Symbol.asyncIterator]();
    t.is((await messages.next()).value?.event.case, "granted");
    stop.abort();
    await messages.next().catch(() => {});
    await until(async () => (await first.client.listLocks({})).locks[0]?.holders.length === 0, "the lease to end");
  }
  const held = first.client.acquireLocks({ leaseId: "kept", unit: "apt", pid: 7, locks: [{ name: "builds", capacity: 2 }] })[Symbol.asyncIterator]();
  t.is((await held.next()).value?.event.case, "granted");
  // A script re-declaring the same edge: the journal grows and is compacted after the held lease is journalled.
  for (let i = 0; i < 200; i++) await first.client.want({ unit: "w", dependsOn: ["base"] });
  t.true(first.logs.some((l) => /compacted \d+ records to \d+/.test(l)), first.logs.join("\n"));
  const records = decodeRecords(readFileSync(journal)).records;
  t.deepEqual(
    records.filter((r) => r.k === "lock" || r.k === "unlock").map((r) => `${String(r.k)} ${String(r.id)}`),
    ["lock kept"],
  );
  copyFileSync(journal, `${journal}.copy`);
  await first.stop();
  const second = await agentOn(dir, "b", `${journal}.copy`);
  const locks = (await second.client.listLocks({})).locks;
  t.deepEqual(
    locks.map((l) => [l.name, l.capacity, l.holders.map((h) => [h.leaseId, h.unit, h.pid, h.reserved])]),
    [["builds", 2, [["kept", "apt", 7, true]]]],
  );
  t.true(second.logs.some((l) => /1 lock lease\(s\) on "builds" reserved for their holders/.test(l)), second.logs.join("\n"));
  await second.stop();
});
