// The Start stream against a real agent: pushed progress, failed dependencies, deadline and client cancel.
import { status } from "@grpc/grpc-js";
import test from "ava";
import { Condition, EventKind, type StartResponse, UnitStatus } from "../gen/unitsync/v1/unitsync_pb.js";
import { eventually, withAgent } from "./helpers/agent.js";
import { consume, within } from "./helpers/streams.js";

/** One line per Start message, to compare whole streams at once. */
function describe({ event }: StartResponse): string {
  switch (event.case) {
    case "waiting":
      return `waiting unmet=[${event.value.unmet}] unregistered=[${event.value.unregistered}]`;
    case "dependencySatisfied":
      return `satisfied ${event.value.name} ${UnitStatus[event.value.status]} unmet=[${event.value.unmet}]`;
    case "started":
      return `started ${event.value.unit?.name} ${UnitStatus[event.value.unit?.status ?? 0]} deps=[${event.value.dependencies}]`;
    default:
      return "unknown";
  }
}

test("a unit with no dependencies starts at once: one started message, then OK", async (t) => {
  const { client } = await withAgent(t);
  const start = consume(client.start({ unit: "solo" }));
  t.is(await start.ended, undefined);
  t.deepEqual(start.messages.map(describe), ["started solo STARTED deps=[]"]);
  t.is((await client.getUnit({ unit: "solo" })).unit!.status, UnitStatus.STARTED);
});

test("a unit whose dependencies are already completed starts at once with only a started message", async (t) => {
  const { client } = await withAgent(t);
  await client.want({ unit: "ide", dependsOn: ["git-clone", "env-setup"] });
  for (const dep of ["git-clone", "env-setup"]) {
    t.is(await consume(client.start({ unit: dep })).ended, undefined);
    await client.complete({ unit: dep });
  }
  const start = consume(client.start({ unit: "ide" }));
  t.is(await start.ended, undefined);
  t.deepEqual(start.messages.map(describe), ["started ide STARTED deps=[git-clone,env-setup]"]);
});

test("a wait streams waiting, one dependencySatisfied per dependency, then started", async (t) => {
  const { client, newClient } = await withAgent(t);
  const other = newClient();
  await client.want({ unit: "ide", dependsOn: ["git-clone", "env-setup"] });
  const start = consume(client.start({ unit: "ide" }));
  await start.received(1);
  t.deepEqual(start.messages.map(describe), ["waiting unmet=[git-clone,env-setup] unregistered=[git-clone,env-setup]"]);

  t.is(await consume(other.start({ unit: "env-setup" })).ended, undefined);
  t.is(await consume(other.start({ unit: "git-clone" })).ended, undefined);
  await other.complete({ unit: "git-clone" });
  await start.received(2);
  t.false(start.isEnded(), "one of two dependencies does not start the unit");
  await other.complete({ unit: "env-setup" });

  t.is(await start.ended, undefined);
  t.deepEqual(start.messages.map(describe), [
    "waiting unmet=[git-clone,env-setup] unregistered=[git-clone,env-setup]",
    "satisfied git-clone COMPLETED unmet=[env-setup]",
    "satisfied env-setup COMPLETED unmet=[]",
    "started ide STARTED deps=[git-clone,env-setup]",
  ]);
  const started = start.messages[3]!.event;
  t.is(started.case === "started" && started.value.unit?.ready, true);
});

test("started is pushed: it arrives after Complete of the last dependency is sent and before a later call returns", async (t) => {
  const { client } = await withAgent(t);
  const order: string[] = [];
  await client.want({ unit: "b", dependsOn: ["a"] });
  t.is(await consume(client.start({ unit: "a" })).ended, undefined);
  const start = consume(client.start({ unit: "b" }), (m) => order.push(`stream ${m.event.case}`));
  await start.received(1);
  // Calls that change nothing b waits for leave it waiting.
  await client.ping({});
  await client.getUnit({ unit: "b" });
  t.deepEqual(order, ["stream waiting"]);

  order.push("complete sent");
  await client.complete({ unit: "a" });
  order.push("complete returned");
  t.is((await client.getUnit({ unit: "b" })).unit!.status, UnitStatus.STARTED, "b started in the same step as a completed");
  order.push("later call returned");

  t.is(await start.ended, undefined);
  const at = (entry: string) => order.indexOf(entry);
  t.true(at("stream dependencySatisfied") > at("complete sent"), order.join(", "));
  t.true(at("stream started") > at("stream dependencySatisfied"), order.join(", "));
  t.true(at("stream started") < at("later call returned"), `nothing polls: ${order.join(", ")}`);
});

test("dependencies declared while the unit waits send another waiting message", async (t) => {
  const { client } = await withAgent(t);
  await client.want({ unit: "ide", dependsOn: ["git-clone"] });
  const start = consume(client.start({ unit: "ide" }));
  await start.received(1);
  await client.want({ unit: "ide", dependsOn: ["env-setup"] });
  await start.received(2);
  t.deepEqual(start.messages.map(describe), [
    "waiting unmet=[git-clone] unregistered=[git-clone]",
    "waiting unmet=[git-clone,env-setup] unregistered=[git-clone,env-setup]",
  ]);
});

test("a dependency that failed before the wait: FAILED_PRECONDITION naming the unit, reason and chain", async (t) => {
  const { agent, client } = await withAgent(t);
  await client.want({ unit: "b", dependsOn: ["a"] });
  await client.want({ unit: "c", dependsOn: ["b"] });
  t.is(await consume(client.start({ unit: "a" })).ended, undefined);
  await client.fail({ unit: "a", reason: "disk full" });

  const direct = consume(client.start({ unit: "b" }));
  const directError = await direct.ended;
  t.is(directError?.code, status.FAILED_PRECONDITION);
  t.is(directError?.details, 'dependency "a" failed: disk full');
  t.is(directError?.metadata.get("unitsync-error-kind")[0], "dependency-failed");
  t.deepEqual(direct.messages, []);

  const transitive = consume(client.start({ unit: "c" }));
  const error = await transitive.ended;
  t.is(error?.code, status.FAILED_PRECONDITION);
  t.is(error?.details, 'dependency "a" failed: disk full (via c -> b -> a)');
  t.is(error?.metadata.get("unitsync-error-kind")[0], "dependency-failed");
  t.deepEqual(transitive.messages, []);
  t.is(agent.registry.counts().waiters, 0);
  t.is((await client.getUnit({ unit: "c" })).unit!.status, UnitStatus.PENDING, "a refused start leaves the unit pending");
});

test("a dependency that fails during the wait, transitively, ends the stream at once with FAILED_PRECONDITION", async (t) => {
  const { agent, client, newClient } = await withAgent(t);
  const other = newClient();
  await client.want({ unit: "c", dependsOn: ["b"] });
  await client.want({ unit: "b", dependsOn: ["a"] });
  const start = consume(client.start({ unit: "c" }));
  await start.received(1);
  t.is(await consume(other.start({ unit: "a" })).ended, undefined);
  t.false(start.isEnded());

  const failed = await other.fail({ unit: "a", reason: "disk full" });
  t.deepEqual([...failed.blocked].sort(), ["b", "c"]);
  const error = await within(start.ended, 45_000, "the waiting start to end after the failure");
  t.is(error?.code, status.FAILED_PRECONDITION);
  t.regex(error?.details ?? "", /"a"/);
  t.regex(error?.details ?? "", /disk full/);
  t.is(error?.details, 'dependency "a" failed: disk full (via c -> b -> a)');
  t.is(error?.metadata.get("unitsync-error-kind")[0], "dependency-failed");
  t.deepEqual(start.messages.map(describe), ["waiting unmet=[b] unregistered=[]"]);
  t.is(agent.registry.counts().waiters, 0);
  await eventually(() => agent.context.streams === 0, "the start stream to close on the agent");
});

test("a new edge to a failed unit ends the waits it blocks, transitively", async (t) => {
  const { agent, client } = await withAgent(t);
  await client.want({ unit: "c", dependsOn: ["b"] });
  await client.want({ unit: "b", dependsOn: ["setup"] });
  await client.want({ unit: "a", dependsOn: ["setup"] });
  await client.fail({ unit: "a", reason: "disk full" });
  const waitC = consume(client.start({ unit: "c" }));
  const waitB = consume(client.start({ unit: "b" }));
  await waitC.received(1);
  await waitB.received(1);

  await client.want({ unit: "b", dependsOn: ["a"] });
  const errorB = await within(waitB.ended, 45_000, "b's start to end");
  const errorC = await within(waitC.ended, 45_000, "c's start to end");
  t.is(errorB?.code, status.FAILED_PRECONDITION);
  t.is(errorB?.details, 'dependency "a" failed: disk full');
  t.is(errorC?.code, status.FAILED_PRECONDITION);
  t.is(errorC?.details, 'dependency "a" failed: disk full (via c -> b -> a)');
  t.is(agent.registry.counts().waiters, 0);
});

test("a 'started' dependency releases the wait when it starts; a 'finished' one also when it fails", async (t) => {
  const { client } = await withAgent(t);
  await client.want({ unit: "ide", dependsOn: ["agent-up"], condition: Condition.STARTED });
  await client.want({ unit: "report", dependsOn: ["build"], condition: Condition.FINISHED });
  await client.want({ unit: "build", dependsOn: ["never"] });
  const ide = consume(client.start({ unit: "ide" }));
  const report = consume(client.start({ unit: "report" }));
  await ide.received(1);
  await report.received(1);

  t.is(await consume(client.start({ unit: "agent-up" })).ended, undefined);
  t.is(await ide.ended, undefined);
  t.deepEqual(ide.messages.map(describe), [
    "waiting unmet=[agent-up] unregistered=[agent-up]",
    "satisfied agent-up STARTED unmet=[]",
    "started ide STARTED deps=[agent-up]",
  ]);

  await client.fail({ unit: "build", reason: "compiler crashed" });
  t.is(await report.ended, undefined);
  t.deepEqual(report.messages.map(describe), [
    "waiting unmet=[build] unregistered=[]",
    "satisfied build FAILED unmet=[]",
    "started report STARTED deps=[build]",
  ]);
});

test("a unit completed while its own Start waits ends that Start with FAILED_PRECONDITION", async (t) => {
  const { agent, client } = await withAgent(t);
  await client.want({ unit: "x", dependsOn: ["y"] });
  const start = consume(client.start({ unit: "x" }));
  await start.received(1);
  await client.complete({ unit: "x" });
  const error = await within(start.ended, 45_000, "the start to end");
  t.is(error?.code, status.FAILED_PRECONDITION);
  t.is(error?.details, 'unit "x" was marked completed while waiting to start');
  t.is(agent.registry.counts().waiters, 0);
});

test("the client's deadline ends the wait with DEADLINE_EXCEEDED and removes the waiter", async (t) => {
  const { agent, client } = await withAgent(t);
  await client.want({ unit: "x", dependsOn: ["y"] });
  // Long enough for the wait to begin on a loaded machine; the test waits for it, not measures it.
  const start = consume(client.start({ unit: "x" }, { deadline: new Date(Date.now() + 2_000) }));
  await start.received(1);
  t.is(agent.registry.counts().waiters, 1);
  const error = await within(start.ended, 45_000, "the deadline");
  t.is(error?.code, status.DEADLINE_EXCEEDED);
  t.deepEqual(start.messages.map(describe), ["waiting unmet=[y] unregistered=[y]"]);

  await eventually(() => agent.registry.counts().waiters === 0, "the waiter to be removed");
  await eventually(() => agent.context.streams === 0, "the stream to close on the agent");
  const { unit } = await client.getUnit({ unit: "x" });
  t.is(unit!.status, UnitStatus.PENDING);
  t.false(unit!.waiting);
  const { events } = await client.getTimeline({});
  t.true(events.some((e) => e.unit === "x" && e.kind === EventKind.WAIT_ENDED));

  // The unit can be waited for again, and starts once its dependency completes.
  const again = consume(client.start({ unit: "x" }));
  await again.received(1);
  t.is(await consume(client.start({ unit: "y" })).ended, undefined);
  await client.complete({ unit: "y" });
  t.is(await again.ended, undefined);
});

test("a client cancel ends the wait and removes the waiter", async (t) => {
  const { agent, client } = await withAgent(t);
  await client.want({ unit: "x", dependsOn: ["y"] });
  const abort = new AbortController();
  const start = consume(client.start({ unit: "x" }, { signal: abort.signal }));
  await start.received(1);
  t.is(agent.registry.counts().waiters, 1);
  t.is(agent.context.streams, 1);

  abort.abort();
  const error = await within(start.ended, 45_000, "the cancelled stream to end");
  t.is(error?.code, status.CANCELLED);
  await eventually(() => agent.registry.counts().waiters === 0, "the waiter to be removed");
  await eventually(() => agent.context.streams === 0, "the stream to close on the agent");
  t.false((await client.getUnit({ unit: "x" })).unit!.waiting);
  t.is((await client.ping({})).counts!.waiters, 0);

  // Nothing of the cancelled call lingers: a new Start of the same unit waits normally.
  const again = consume(client.start({ unit: "x" }));
  await again.received(1);
  t.is(again.messages[0]!.event.case, "waiting");
});

test("one completion releases every unit waiting on it", async (t) => {
  const { agent, client } = await withAgent(t);
  const names = ["w1", "w2", "w3", "w4"];
  for (const name of names) await client.want({ unit: name, dependsOn: ["base"] });
  const waits = names.map((unit) => consume(client.start({ unit })));
  for (const wait of waits) await wait.received(1);
  t.is(agent.registry.counts().waiters, names.length);

  t.is(await consume(client.start({ unit: "base" })).ended, undefined);
  await client.complete({ unit: "base" });
  for (const wait of waits) t.is(await wait.ended, undefined);
  t.deepEqual(
    (await client.listUnits({})).units.filter((u) => names.includes(u.name)).map((u) => u.status),
    names.map(() => UnitStatus.STARTED),
  );
  t.is(agent.registry.counts().waiters, 0);
});

for (const when of ["before the call is made", "in the same tick as the call"]) {
  test(`a client cancel ${when} leaves no waiter on the agent`, async (t) => {
    const { agent, client } = await withAgent(t);
    await client.want({ unit: "x", dependsOn: ["y"] });
    const abort = new AbortController();
    if (when === "before the call is made") abort.abort();
    const start = consume(client.start({ unit: "x" }, { signal: abort.signal }));
    abort.abort();
    t.is((await within(start.ended, 45_000, "the cancelled stream to end"))?.code, status.CANCELLED);
    await client.ping({}); // whatever the cancelled call sent reached the agent before this answer
    await eventually(() => agent.registry.counts().waiters === 0, "no waiter for the cancelled call");
    await eventually(() => agent.context.streams === 0, "no open stream for the cancelled call");

    // The unit is free: a new Start waits for it rather than being refused as "already waiting".
    const again = consume(client.start({ unit: "x" }));
    await again.received(1);
    t.is(again.messages[0]!.event.case, "waiting");
    t.is(await consume(client.start({ unit: "y" })).ended, undefined);
    await client.complete({ unit: "y" });
    t.is(await again.ended, undefined);
  });
}
