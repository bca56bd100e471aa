// The unary RPCs (Ping, Want, Complete, Fail, GetUnit, ListUnits, GetGraph, GetTimeline) against a real agent on a Unix socket.
import test from "ava";
import { Condition, EventKind, UnitStatus } from "../gen/unitsync/v1/unitsync_pb.js";
import { withAgent } from "./helpers/agent.js";
import { consume } from "./helpers/streams.js";

test("ping reports version, protocol, pid and live counts", async (t) => {
  const { agent, client } = await withAgent(t);
  const fresh = await client.ping({});
  t.is(fresh.version, "test");
  t.is(fresh.protocol, 1);
  t.is(fresh.pid, process.pid);
  t.truthy(fresh.startedAt);
  t.like(fresh.counts, { units: 0, waiters: 0, streams: 0, events: 0n, droppedEvents: 0n });
  t.true(fresh.counts!.connections >= 1, "the asking client is connected");

  await client.want({ unit: "ide", dependsOn: ["git-clone", "env-setup"] });
  t.is(await consume(client.start({ unit: "tools" })).ended, undefined); // started at once
  const wait = consume(client.start({ unit: "ide" }));
  await wait.received(1);

  const busy = await client.ping({});
  t.like(busy.counts, { units: 2, waiters: 1, streams: 1 });
  t.true(busy.counts!.events > 0n);
  t.is(busy.counts!.events, BigInt(agent.registry.events().length));
  t.true(busy.uptimeMs >= fresh.uptimeMs);
});

test("ping counts the started messages sent to Start calls, and when the last one went", async (t) => {
  const { client } = await withAgent(t);
  const fresh = (await client.ping({})).counts!;
  t.is(fresh.startedSent, 0n);
  t.is(fresh.lastStartedSentAt, undefined);

  t.is(await consume(client.start({ unit: "tools", startId: "s1" })).ended, undefined); // started at once
  const once = (await client.ping({})).counts!;
  t.is(once.startedSent, 1n);
  t.truthy(once.lastStartedSentAt);

  // Two waiters woken by one completion, and a resumed start (its started is sent again).
  await client.want({ unit: "ide", dependsOn: ["gate"] });
  await client.want({ unit: "web", dependsOn: ["gate"] });
  await client.want({ unit: "gate", dependsOn: ["gate-root"] });
  const waits = [consume(client.start({ unit: "ide" })), consume(client.start({ unit: "web" }))];
  await Promise.all(waits.map((w) => w.received(1)));
  t.is((await client.ping({})).counts!.startedSent, 1n, "waiting is not started");
  await client.complete({ unit: "gate" });
  t.deepEqual(await Promise.all(waits.map((w) => w.ended)), [undefined, undefined]);
  t.is(await consume(client.start({ unit: "tools", startId: "s1" })).ended, undefined);
  const after = (await client.ping({})).counts!;
  t.is(after.startedSent, 4n);
  const ms = (ts: { seconds: bigint; nanos: number }) => Number(ts.seconds) * 1_000 + ts.nanos / 1e6;
  t.true(ms(after.lastStartedSentAt!) > ms(once.lastStartedSentAt!), "the last one is the newest");
});

test("want registers the unit and declares its dependencies with their current state", async (t) => {
  const { client } = await withAgent(t);
  const { unit } = await client.want({ unit: "ide", dependsOn: ["git-clone", "env-setup"] });
  t.is(unit!.name, "ide");
  t.is(unit!.status, UnitStatus.PENDING);
  t.false(unit!.ready);
  t.deepEqual(
    unit!.dependencies.map((d) => [d.dependsOn, d.required, d.currentStatus, d.satisfied]),
    [
      ["git-clone", Condition.COMPLETED, UnitStatus.NOT_REGISTERED, false],
      ["env-setup", Condition.COMPLETED, UnitStatus.NOT_REGISTERED, false],
    ],
  );

  // A second declaration adds to the first; repeating a dependency changes nothing.
  const again = await client.want({ unit: "ide", dependsOn: ["git-clone", "dotfiles"], condition: Condition.STARTED });
  t.deepEqual(
    again.unit!.dependencies.map((d) => [d.dependsOn, d.required]),
    [
      ["git-clone", Condition.STARTED],
      ["env-setup", Condition.COMPLETED],
      ["dotfiles", Condition.STARTED],
    ],
  );
});

test("complete marks a unit completed, is a no-op the second time, and satisfies dependents", async (t) => {
  const { client } = await withAgent(t);
  await client.want({ unit: "ide", dependsOn: ["git-clone"] });
  await client.want({ unit: "git-clone", dependsOn: ["network"] });

  const first = await client.complete({ unit: "git-clone" });
  t.true(first.changed);
  t.is(first.unit!.status, UnitStatus.COMPLETED);
  const second = await client.complete({ unit: "git-clone" });
  t.false(second.changed, "completing a completed unit is trap-safe");
  t.is(second.unit!.status, UnitStatus.COMPLETED);

  const { unit } = await client.getUnit({ unit: "ide" });
  t.true(unit!.ready);
  t.like(unit!.dependencies[0], { dependsOn: "git-clone", currentStatus: UnitStatus.COMPLETED, satisfied: true });
});

test("fail marks a unit failed with its reason and lists the dependents it blocks", async (t) => {
  const { client } = await withAgent(t);
  await client.want({ unit: "b", dependsOn: ["a"] });
  await client.want({ unit: "c", dependsOn: ["b"] });
  await client.want({ unit: "d", dependsOn: ["a"] });
  await client.want({ unit: "cleanup", dependsOn: ["a"], condition: Condition.FINISHED });
  await client.want({ unit: "a", dependsOn: ["network"] });

  const failed = await client.fail({ unit: "a", reason: "disk full" });
  t.true(failed.changed);
  t.is(failed.unit!.status, UnitStatus.FAILED);
  t.is(failed.unit!.reason, "disk full");
  t.deepEqual([...failed.blocked].sort(), ["b", "c", "d"], "a clean-up on 'finished' is not blocked");

  const { unit: c } = await client.getUnit({ unit: "c" });
  t.is(c!.status, UnitStatus.PENDING);
  t.like(c!.blocked, { failedUnit: "a", reason: "disk full", chain: ["c", "b", "a"] });
  const { unit: cleanup } = await client.getUnit({ unit: "cleanup" });
  t.is(cleanup!.blocked, undefined);
  t.true(cleanup!.ready);

  const again = await client.fail({ unit: "a", reason: "other" });
  t.false(again.changed, "failing a failed unit changes nothing");
  t.is(again.unit!.reason, "disk full");
});

test("getUnit describes a unit; a name nobody registered reads NOT_REGISTERED", async (t) => {
  const { client } = await withAgent(t);
  const unknown = await client.getUnit({ unit: "nobody" });
  t.like(unknown.unit, { name: "nobody", status: UnitStatus.NOT_REGISTERED, ready: true, dependencies: [], waiting: false });
  t.is(unknown.unit!.registeredAt, undefined);

  await client.want({ unit: "ide", dependsOn: ["git-clone"] });
  const named = await client.getUnit({ unit: "git-clone" });
  t.is(named.unit!.status, UnitStatus.NOT_REGISTERED, "naming a dependency does not register it");

  const wait = consume(client.start({ unit: "ide" }));
  await wait.received(1);
  const { unit } = await client.getUnit({ unit: "ide" });
  t.is(unit!.status, UnitStatus.PENDING);
  t.true(unit!.waiting);
  t.false(unit!.ready);
  t.truthy(unit!.registeredAt);
  t.truthy(unit!.changedAt);
});

test("listUnits lists every registered unit in registration order", async (t) => {
  const { client } = await withAgent(t);
  t.deepEqual((await client.listUnits({})).units, []);
  await client.want({ unit: "zeta", dependsOn: ["yank"] });
  await client.want({ unit: "mid", dependsOn: ["zeta"] });
  t.is(await consume(client.start({ unit: "alpha" })).ended, undefined);
  await client.want({ unit: "yank", dependsOn: ["alpha"] });
  await client.complete({ unit: "alpha" });

  const { units } = await client.listUnits({});
  t.deepEqual(
    units.map((u) => [u.name, u.status, u.ready]),
    [
      ["zeta", UnitStatus.PENDING, false],
      ["mid", UnitStatus.PENDING, false],
      ["alpha", UnitStatus.COMPLETED, true],
      ["yank", UnitStatus.PENDING, true],
    ],
  );
});

test("getGraph returns every named unit and every edge with its condition", async (t) => {
  const { client } = await withAgent(t);
  await client.want({ unit: "ide", dependsOn: ["git-clone", "env-setup"] });
  await client.want({ unit: "ide", dependsOn: ["agent-up"], condition: Condition.STARTED });
  await client.want({ unit: "report", dependsOn: ["ide"], condition: Condition.FINISHED });
  await client.want({ unit: "git-clone", dependsOn: ["network"] });
  await client.complete({ unit: "git-clone" });

  const graph = await client.getGraph({});
  t.deepEqual(
    graph.nodes.map((n) => [n.name, n.status]).sort(),
    [
      ["agent-up", UnitStatus.NOT_REGISTERED],
      ["env-setup", UnitStatus.NOT_REGISTERED],
      ["git-clone", UnitStatus.COMPLETED],
      ["ide", UnitStatus.PENDING],
      ["network", UnitStatus.NOT_REGISTERED],
      ["report", UnitStatus.PENDING],
    ],
  );
  t.deepEqual(
    graph.edges.map((e) => [e.unit, e.dependsOn, e.required, e.satisfied]).sort(),
    [
      ["git-clone", "network", Condition.COMPLETED, false],
      ["ide", "agent-up", Condition.STARTED, false],
      ["ide", "env-setup", Condition.COMPLETED, false],
      ["ide", "git-clone", Condition.COMPLETED, true],
      ["report", "ide", Condition.FINISHED, false],
    ],
  );
});

test("getTimeline returns per-unit entries, the critical chain and the event log", async (t) => {
  const { client } = await withAgent(t);
  await client.want({ unit: "ide", dependsOn: ["git-clone"] });
  const wait = consume(client.start({ unit: "ide" }));
  await wait.received(1);
  t.is(await consume(client.start({ unit: "git-clone" })).ended, undefined);
  await client.complete({ unit: "git-clone" });
  t.is(await wait.ended, undefined);
  await client.complete({ unit: "ide" });

  const timeline = await client.getTimeline({});
  t.deepEqual(
    timeline.entries.map((e) => [e.unit, e.status]),
    [
      ["ide", UnitStatus.COMPLETED],
      ["git-clone", UnitStatus.COMPLETED],
    ],
  );
  const ide = timeline.entries[0]!;
  t.truthy(ide.registeredAt && ide.startRequestedAt && ide.startedAt && ide.finishedAt);
  t.deepEqual(timeline.criticalChain, ["git-clone", "ide"]);

  const seqs = timeline.events.map((e) => Number(e.seq));
  t.deepEqual(seqs, seqs.map((_, i) => i + 1), "events carry contiguous sequence numbers from 1");
  t.is(timeline.droppedEvents, 0n);
  const story = timeline.events
    .filter((e) => e.kind === EventKind.STATUS_CHANGED)
    .map((e) => `${e.unit}:${UnitStatus[e.from]}->${UnitStatus[e.to]}`);
  t.deepEqual(story, [
    "ide:NOT_REGISTERED->PENDING",
    "git-clone:NOT_REGISTERED->PENDING",
    "git-clone:PENDING->STARTED",
    "git-clone:STARTED->COMPLETED",
    "ide:PENDING->STARTED",
    "ide:STARTED->COMPLETED",
  ]);
  t.true(timeline.events.some((e) => e.kind === EventKind.WAIT_BEGAN && e.unit === "ide"));
  t.true(timeline.events.some((e) => e.kind === EventKind.DEPENDENCIES_DECLARED && e.unit === "ide" && e.dependsOn[0] === "git-clone"));
});
