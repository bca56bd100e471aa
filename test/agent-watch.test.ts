// The Watch stream against a real agent: a snapshot first, then every event in order, filters, and its end.
import { status } from "@grpc/grpc-js";
import test from "ava";
import { EventKind, UnitStatus, type WatchResponse } from "../gen/unitsync/v1/unitsync_pb.js";
import { eventually, withAgent } from "./helpers/agent.js";
import { consume, within } from "./helpers/streams.js";

/** One line per event: unit, kind, transition, reason and declared dependencies. */
function describe(message: WatchResponse): string {
  if (message.message.case !== "event") return `not an event: ${message.message.case}`;
  const e = message.message.value;
  const extra = [e.reason && `reason=${e.reason}`, e.dependsOn.length > 0 && `deps=[${e.dependsOn}]`].filter(Boolean).join(" ");
  return `${e.unit} ${EventKind[e.kind]} ${UnitStatus[e.from]}->${UnitStatus[e.to]}${extra ? ` ${extra}` : ""}`;
}

const seqOf = (message: WatchResponse) => (message.message.case === "event" ? Number(message.message.value.seq) : NaN);

test("watch sends a snapshot first, then another client's actions as events in order with contiguous seq", async (t) => {
  const { agent, client, newClient } = await withAgent(t);
  const other = newClient();
  await client.want({ unit: "ide", dependsOn: ["git-clone"] });
  const watch = consume(client.watch({}));
  await watch.received(1);

  const first = watch.messages[0]!.message;
  t.is(first.case, "snapshot");
  if (first.case !== "snapshot") return;
  t.deepEqual(
    first.value.units.map((u) => [u.name, u.status, u.dependencies.map((d) => d.dependsOn)]),
    [["ide", UnitStatus.PENDING, ["git-clone"]]],
  );
  t.is(first.value.lastSeq, BigInt(agent.registry.lastSeq));

  const wait = consume(other.start({ unit: "ide" }));
  await wait.received(1);
  t.is(await consume(other.start({ unit: "git-clone" })).ended, undefined);
  await other.complete({ unit: "git-clone" });
  t.is(await wait.ended, undefined);
  await other.want({ unit: "tests", dependsOn: ["ide"] });
  await other.fail({ unit: "tests", reason: "flaky" });

  await watch.received(1 + 8);
  const events = watch.messages.slice(1);
  t.deepEqual(events.map(describe), [
    "ide WAIT_BEGAN PENDING->PENDING deps=[git-clone]",
    "git-clone STATUS_CHANGED NOT_REGISTERED->PENDING",
    "git-clone STATUS_CHANGED PENDING->STARTED",
    "git-clone STATUS_CHANGED STARTED->COMPLETED",
    "ide STATUS_CHANGED PENDING->STARTED",
    "tests STATUS_CHANGED NOT_REGISTERED->PENDING",
    "tests DEPENDENCIES_DECLARED PENDING->PENDING deps=[ide]",
    "tests STATUS_CHANGED PENDING->FAILED reason=flaky",
  ]);
  const lastSeq = Number(first.value.lastSeq);
  t.deepEqual(events.map(seqOf), events.map((_, i) => lastSeq + 1 + i), "seq continues the snapshot's without a gap");
  t.deepEqual(
    events.map(seqOf),
    agent.registry.events().slice(lastSeq).map((e) => e.seq),
    "the stream matches the agent's event log",
  );
  t.false(watch.isEnded());
});

test("watch filtered by unit sends only that unit, even one not registered yet", async (t) => {
  const { client, newClient } = await withAgent(t);
  const other = newClient();
  await client.want({ unit: "ide", dependsOn: ["git-clone"] });
  const watch = consume(client.watch({ units: ["tests"] }));
  await watch.received(1);
  const first = watch.messages[0]!.message;
  t.is(first.case, "snapshot");
  if (first.case !== "snapshot") return;
  t.deepEqual(
    first.value.units.map((u) => [u.name, u.status]),
    [["tests", UnitStatus.NOT_REGISTERED]],
  );

  await other.want({ unit: "tests", dependsOn: ["ide"] });
  t.is(await consume(other.start({ unit: "git-clone" })).ended, undefined);
  await other.complete({ unit: "git-clone" });
  await other.fail({ unit: "tests", reason: "flaky" });
  await other.want({ unit: "docs", dependsOn: ["ide"] });
  // The last event of the filtered unit came before "docs"; a ping round trip after it lets any stray event arrive.
  await client.ping({});

  await watch.received(1 + 3);
  t.is(watch.messages.length, 1 + 3, "no event of another unit arrived");
  t.deepEqual(watch.messages.slice(1).map(describe), [
    "tests STATUS_CHANGED NOT_REGISTERED->PENDING",
    "tests DEPENDENCIES_DECLARED PENDING->PENDING deps=[ide]",
    "tests STATUS_CHANGED PENDING->FAILED reason=flaky",
  ]);
  const seqs = watch.messages.slice(1).map(seqOf);
  t.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "events keep their order");
});

test("watch ends cleanly with OK when the agent shuts down", async (t) => {
  const { agent, client } = await withAgent(t);
  await client.want({ unit: "ide", dependsOn: ["git-clone"] });
  const all = consume(client.watch({}));
  const one = consume(client.watch({ units: ["ide"] }));
  await all.received(1);
  await one.received(1);
  t.is(agent.context.streams, 2);
  t.is(agent.registry.listenerCount, 2);

  await within(agent.close(), 45_000, "the agent to close");
  t.is(await within(all.ended, 45_000, "the watch to end"), undefined, "a shutdown ends a watch with OK");
  t.is(await within(one.ended, 45_000, "the filtered watch to end"), undefined);
  t.is(agent.context.streams, 0);
  t.is(agent.registry.listenerCount, 0);
});

test("a watch the client cancels is unsubscribed on the agent", async (t) => {
  const { agent, client } = await withAgent(t);
  const abort = new AbortController();
  const watch = consume(client.watch({}, { signal: abort.signal }));
  await watch.received(1);
  t.is(agent.registry.listenerCount, 1);
  abort.abort();
  t.is((await within(watch.ended, 45_000, "the cancelled watch to end"))?.code, status.CANCELLED);
  await eventually(() => agent.registry.listenerCount === 0, "the watcher to be unsubscribed");
  await eventually(() => agent.context.streams === 0, "the stream to close on the agent");
  await client.want({ unit: "ide", dependsOn: ["git-clone"] }); // the agent emits to nobody and keeps serving
  t.is((await client.ping({})).counts!.streams, 0);
});
