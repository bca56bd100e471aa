// Agent limits: each one settable by an agent flag, each refusal a clear error that changes nothing.
import test from "ava";
import { status as Code, type ServiceError } from "@grpc/grpc-js";
import type { UnitSyncClient } from "../src/client/client.js";
import { UnitStatus } from "../gen/unitsync/v1/unitsync_pb.js";
import { withAgent, eventually } from "./helpers/agent.js";
import { spawnAgent } from "./helpers/drill-agent.js";
import { cli } from "./helpers/cli.js";

/** Everything a client can read of the agent's state. */
async function state(client: UnitSyncClient) {
  const [list, graph, timeline] = await Promise.all([client.listUnits({}), client.getGraph({}), client.getTimeline({})]);
  return { units: list.units, graph, timeline };
}

/** A Watch stream and what arrived on it. */
function openWatch(client: UnitSyncClient) {
  const controller = new AbortController();
  const call = client.watch({}, { signal: controller.signal });
  const watch = { snapshotSeen: false, ended: false, cancel: () => controller.abort() };
  void (async () => {
    for await (const { message } of call) if (message.case === "snapshot") watch.snapshotSeen = true;
  })()
    .catch(() => {})
    .finally(() => (watch.ended = true));
  return watch;
}

async function refused(t: import("ava").ExecutionContext, call: Promise<unknown>, code: Code, message: RegExp): Promise<void> {
  const error = (await t.throwsAsync(call)) as ServiceError;
  t.is(error.code, code, error.details);
  t.regex(error.details, message);
}

test("agent flags set every limit, and each refusal is one clear line that changes nothing", async (t) => {
  const agent = await spawnAgent(t, [
    "--max-units", "3",
    "--max-dependencies", "2",
    "--max-message-bytes", "2048",
    "--max-streams", "2",
    "--max-reason", "10",
    "--max-events", "6",
  ]);
  const run = (...argv: string[]) => cli([...argv, "--socket", agent.socketPath]);

  t.is((await run("want", "a", "b", "c")).code, 0);
  const before = await state(agent.client);

  const tooManyDeps = await run("want", "a", "d");
  t.is(tooManyDeps.code, 1);
  t.is(tooManyDeps.stderr, 'unitsync: want a: unit "a" would have 3 dependencies; the limit is 2\n');

  const tooManyUnits = await run("want", "x", "b");
  t.is(tooManyUnits.code, 1);
  t.is(tooManyUnits.stderr, "unitsync: want x: the agent holds 3 units; the limit is 3\n");

  const longReason = await run("fail", "a", "--reason", "twelve chars");
  t.is(longReason.code, 1);
  t.is(longReason.stderr, "unitsync: fail a: reason is 12 characters; the limit is 10\n");

  const bigMessage = await run("want", "a", "b".repeat(100), ..."cdefghijklmnopqrstuvwxyz".split("").map((c) => c.repeat(100)));
  t.is(bigMessage.code, 1);
  t.regex(bigMessage.stderr, /^unitsync: want a: .*larger than max \(\d+ vs 2048\)\n$/);

  t.deepEqual(await state(agent.client), before, "no refused call changed anything");

  // Two open streams (a Start that waits, a Watch) fill the stream limit.
  const waiting = agent.client.start({ unit: "a" });
  const outcome = (async () => {
    for await (const message of waiting) if (message.event.case === "started") return "started";
    return "ended";
  })();
  const watch = openWatch(agent.client);
  await eventually(() => watch.snapshotSeen, "the watch snapshot");
  t.is((await agent.counts()).streams, 2);

  const third = await run("start", "b");
  t.is(third.code, 1);
  t.is(third.stderr, "unitsync: start b: the agent has 2 open streams; the limit is 2\n");
  const status = await run("status", "b", "-o", "json");
  t.is(JSON.parse(status.stdout).status, "", "the refused start registered nothing (coder's JSON spells not registered \"\")");

  // A freed slot can be used again.
  watch.cancel();
  await eventually(() => watch.ended, "the watch to end");
  for (const argv of [["start", "b"], ["complete", "b"], ["start", "c"], ["complete", "c"]]) {
    const result = await run(...argv);
    t.is(result.code, 0, result.stderr);
  }
  t.is(await outcome, "started");

  // The event log kept the newest 6 events; the drop shows in ping and timeline.
  const ping = JSON.parse((await run("ping", "-o", "json")).stdout);
  t.is(ping.events, 6);
  t.true(ping.dropped_events > 0);
  const timeline = JSON.parse((await run("timeline", "-o", "json")).stdout);
  t.is(timeline.dropped_events, ping.dropped_events);
  t.regex((await run("timeline")).stdout, new RegExp(`\\(${ping.dropped_events} oldest events were dropped from the log\\)`));
});

test("limit flags take whole numbers of at least 1", async (t) => {
  for (const [flag, value] of [["--max-units", "0"], ["--max-streams", "many"], ["--max-events", "1.5"], ["--max-reason", "-3"]] as const) {
    const result = await cli(["agent", "--socket", "/tmp/unitsync-never.sock", `${flag}=${value}`]);
    t.is(result.code, 2, `${flag} ${value}`);
    t.regex(result.stderr, new RegExp(`^unitsync: ${flag} \\S+: expected a whole number of at least 1\\n$`));
  }
});

test("unit limit: names used only as dependencies count, and a refused want or start registers nothing", async (t) => {
  const { client } = await withAgent(t, { limits: { units: 3 } });
  await client.want({ unit: "app", dependsOn: ["db", "cache"] });
  const before = await state(client);
  await refused(t, client.want({ unit: "app", dependsOn: ["queue"] }), Code.RESOURCE_EXHAUSTED, /^the agent holds 3 units; the limit is 3$/);
  await refused(t, client.want({ unit: "web", dependsOn: ["app"] }), Code.RESOURCE_EXHAUSTED, /the limit is 3/);
  const start = client.start({ unit: "web" });
  await refused(t, (async () => { for await (const _ of start); })(), Code.RESOURCE_EXHAUSTED, /the limit is 3/);
  t.deepEqual(await state(client), before);
  // Names already held stay usable.
  await client.want({ unit: "db", dependsOn: ["cache"] });
  t.is((await client.getUnit({ unit: "db" })).unit!.dependencies.length, 1);
});

test("a self-dependency one name short of the unit limit is refused as the cycle it is", async (t) => {
  const { client } = await withAgent(t, { limits: { units: 3 } });
  await client.want({ unit: "a", dependsOn: ["b"] });
  await refused(t, client.want({ unit: "c", dependsOn: ["c"] }), Code.FAILED_PRECONDITION, /^cycle detected: c -> c$/);
  await client.want({ unit: "c", dependsOn: ["a"] }); // the third name still fits
});

test("dependency limit counts only new dependencies; re-declaring is fine", async (t) => {
  const { client } = await withAgent(t, { limits: { dependenciesPerUnit: 2 } });
  await client.want({ unit: "app", dependsOn: ["db", "cache"] });
  await client.want({ unit: "app", dependsOn: ["cache", "db"] });
  const before = await state(client);
  await refused(t, client.want({ unit: "app", dependsOn: ["db", "queue"] }), Code.RESOURCE_EXHAUSTED, /^unit "app" would have 3 dependencies; the limit is 2$/);
  t.deepEqual(await state(client), before);
});

test("reason limit: 4096 characters by default, one more is INVALID_ARGUMENT and the unit stays as it was", async (t) => {
  const { client } = await withAgent(t);
  await client.want({ unit: "a", dependsOn: ["b"] });
  const before = await state(client);
  await refused(t, client.fail({ unit: "a", reason: "r".repeat(4097) }), Code.INVALID_ARGUMENT, /^reason is 4097 characters; the limit is 4096$/);
  t.deepEqual(await state(client), before);
  await client.fail({ unit: "a", reason: "r".repeat(4096) });
  t.is((await client.getUnit({ unit: "a" })).unit!.reason.length, 4096);
});

test("message limit: 64 KiB by default; a larger request is refused before it reaches the units", async (t) => {
  const { client } = await withAgent(t);
  const names = (n: number) => Array.from({ length: n }, (_, i) => `dependency-${String(i).padStart(4, "0")}-${"x".repeat(100)}`);
  const before = await state(client);
  await refused(t, client.want({ unit: "big", dependsOn: names(600) }), Code.RESOURCE_EXHAUSTED, /larger than max \(\d+ vs 65536\)/);
  t.deepEqual(await state(client), before);
  await client.want({ unit: "big", dependsOn: names(500) }); // ~58 KiB
  t.is((await client.getUnit({ unit: "big" })).unit!.dependencies.length, 500);
});

test("stream limit: Start and Watch past the limit are refused with RESOURCE_EXHAUSTED and register nothing", async (t) => {
  const { client, agent } = await withAgent(t, { maxStreams: 1 });
  await client.want({ unit: "a", dependsOn: ["b"] });
  const first = client.start({ unit: "a" });
  const firstDone = (async () => { for await (const _ of first); })().catch((e: ServiceError) => e.code);
  await eventually(() => agent.context.streams === 1, "the first stream");
  const before = await state(client);
  const start = client.start({ unit: "c" });
  await refused(t, (async () => { for await (const _ of start); })(), Code.RESOURCE_EXHAUSTED, /^the agent has 1 open streams; the limit is 1$/);
  const watch = client.watch({});
  await refused(t, (async () => { for await (const _ of watch); })(), Code.RESOURCE_EXHAUSTED, /the limit is 1/);
  t.deepEqual(await state(client), before);
  t.is(agent.context.streams, 1);
  await client.complete({ unit: "a" }).catch(() => {}); // ends the first wait
  t.is(await firstDone, Code.FAILED_PRECONDITION);
  await eventually(() => agent.context.streams === 0, "the stream count to fall");
  const again = client.start({ unit: "c" });
  for await (const _ of again);
  t.is((await client.getUnit({ unit: "c" })).unit!.status, UnitStatus.STARTED);
});

test("event log: the oldest events are dropped first and the drop shows in ping, timeline and watch", async (t) => {
  const { client, socketPath } = await withAgent(t, { limits: { events: 5 } });
  for (const unit of ["a", "b", "c", "d"]) await client.want({ unit, dependsOn: ["z"] }); // 8 events
  const timeline = await client.getTimeline({});
  t.deepEqual(timeline.events.map((e) => Number(e.seq)), [4, 5, 6, 7, 8]);
  t.is(timeline.droppedEvents, 3n);
  const ping = JSON.parse((await cli(["ping", "-o", "json", "--socket", socketPath])).stdout);
  t.is(ping.events, 5);
  t.is(ping.dropped_events, 3);
  const json = JSON.parse((await cli(["timeline", "-o", "json", "--socket", socketPath])).stdout);
  t.is(json.dropped_events, 3);
  t.is(json.units.length, 4, "the timeline of units is kept in full");
});

test("answers over 4 MiB (a long event log, a large graph) still reach the CLI", async (t) => {
  const { agent, socketPath } = await withAgent(t);
  const { registry } = agent;
  // 20 units × 1,000 long dependency names: about 6 MiB of graph.
  const deps = Array.from({ length: 1_000 }, (_, i) => `workspace/dependency-${i}-${"d".repeat(100)}`);
  for (let u = 0; u < 20; u++) registry.want(`workspace/unit-${u}`, deps);
  // 5,000 abandoned waits, each ended with a 1,000-character reason: about 5 MiB of events.
  registry.want("waiter", ["gate"]);
  for (let i = 0; i < 2_500; i++) {
    const cancel = new AbortController();
    const wait = registry.start("waiter", cancel.signal).catch(() => {});
    cancel.abort(new Error("r".repeat(1_000)));
    await wait;
  }
  const timeline = await cli(["timeline", "-o", "json", "--socket", socketPath]);
  t.is(timeline.code, 0, timeline.stderr);
  t.is(JSON.parse(timeline.stdout).units.length, 21);
  const graph = await cli(["graph", "-o", "json", "--socket", socketPath]);
  t.is(graph.code, 0, graph.stderr);
  t.is(JSON.parse(graph.stdout).edges.length, 20_001);
});
