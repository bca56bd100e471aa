// Server-stream writes go out a batch per event-loop turn, in the order given, so one change that
// wakes thousands of streams starts writing to the socket before every message is built.
import { status } from "@grpc/grpc-js";
import test from "ava";
import { Outbox } from "../src/agent/outbox.js";
import { join } from "node:path";
import { startAgent } from "../src/agent/server.js";
import { connect, type UnitSyncClient } from "../src/client/client.js";
import { eventually, tempDir, withAgent } from "./helpers/agent.js";
import { consume } from "./helpers/streams.js";

const nextTurn = () => new Promise(setImmediate);

test("operations run in the order given, at most a batch in one turn", async (t) => {
  const outbox = new Outbox(3, (error) => t.fail(String(error)));
  const ran: number[] = [];
  for (let i = 0; i < 8; i++) outbox.run(() => ran.push(i));
  t.deepEqual(ran, [0, 1, 2]);
  t.is(outbox.waiting, 5);
  await nextTurn();
  t.deepEqual(ran, [0, 1, 2, 3, 4, 5]);
  await nextTurn();
  t.deepEqual(ran, [0, 1, 2, 3, 4, 5, 6, 7]);
  t.is(outbox.waiting, 0);
});

test("a long queue drains a batch per turn, each operation once and in order, operations added meanwhile behind it", async (t) => {
  const outbox = new Outbox(256, (error) => t.fail(String(error)));
  const ran: number[] = [];
  for (let i = 0; i < 10_000; i++) outbox.run(() => ran.push(i));
  let turns = 0;
  let added = 10_000;
  while (outbox.waiting > 0) {
    const before = outbox.waiting;
    await nextTurn();
    turns++;
    t.is(before - outbox.waiting, Math.min(256, before));
    if (turns % 7 === 0) {
      const n = added++;
      outbox.run(() => ran.push(n));
    }
  }
  t.deepEqual(ran, Array.from({ length: added }, (_, i) => i));
});

test("an operation given while others wait runs after them, even with room in its turn", async (t) => {
  const outbox = new Outbox(2, (error) => t.fail(String(error)));
  const ran: string[] = [];
  for (const name of ["a", "b", "c"]) outbox.run(() => ran.push(name));
  await nextTurn(); // c ran; this turn has room for one more
  outbox.run(() => ran.push("d"));
  t.deepEqual(ran, ["a", "b", "c", "d"]);
});

test("an operation queued by one of a batch runs after the rest of that batch", async (t) => {
  const outbox = new Outbox(3, (error) => t.fail(String(error)));
  const ran: string[] = [];
  for (const name of ["a", "b", "c"]) outbox.run(() => ran.push(name));
  outbox.run(() => {
    ran.push("d");
    outbox.run(() => ran.push("x"));
  });
  outbox.run(() => ran.push("e"));
  await nextTurn();
  await nextTurn();
  t.deepEqual(ran, ["a", "b", "c", "d", "e", "x"]);
});

test("an operation that throws is reported and the rest still run", async (t) => {
  const errors: unknown[] = [];
  const outbox = new Outbox(2, (error) => errors.push(error));
  const ran: number[] = [];
  outbox.run(() => {
    throw new Error("broken stream");
  });
  t.is((errors[0] as Error).message, "broken stream");
  for (let i = 1; i <= 3; i++) outbox.run(() => ran.push(i));
  t.deepEqual(ran, [1]);
  await nextTurn();
  t.deepEqual(ran, [1, 2, 3]);
});

test("one completion tells a thousand waiting Starts, each its own news in order, and leaves no stream or operation behind", async (t) => {
  const { agent, client } = await withAgent(t);
  const count = 1_000; // four batches of the agent's outbox, and more
  for (let i = 0; i < count; i++) await client.want({ unit: `w${i}`, dependsOn: ["gate"] });
  const waits = Array.from({ length: count }, (_, i) => consume(client.start({ unit: `w${i}` })));
  for (const wait of waits) await wait.received(1);
  t.is(await consume(client.start({ unit: "gate" })).ended, undefined);
  await client.complete({ unit: "gate" });
  for (const [i, wait] of waits.entries()) {
    t.is(await wait.ended, undefined);
    t.deepEqual(
      wait.messages.map((m) => m.event.case),
      ["waiting", "dependencySatisfied", "started"],
    );
    if (wait.messages[2]?.event.case === "started") t.is(wait.messages[2].event.value.unit?.name, `w${i}`);
  }
  await eventually(() => agent.context.streams === 0, "every stream closed");
  t.is(agent.context.outbox.waiting, 0);
  t.is(agent.registry.counts().waiters, 0);
});

test("a shutdown in the middle of a fan-out ends every stream, with its news or UNAVAILABLE, and logs no error", async (t) => {
  const { agent, client, logs } = await withAgent(t, { graceMs: 30_000 }); // the streams end by themselves, never forced
  const count = 1_000;
  for (let i = 0; i < count; i++) await client.want({ unit: `w${i}`, dependsOn: ["gate"] });
  const waits = Array.from({ length: count }, (_, i) => consume(client.start({ unit: `w${i}` })));
  for (const wait of waits) await wait.received(1);
  t.is(await consume(client.start({ unit: "gate" })).ended, undefined);
  // The agent shuts down a turn after the first waiter starts: its outbox has the rest still to write.
  let closing: Promise<void> | undefined;
  let queued = 0;
  const { unsubscribe } = agent.registry.subscribe((event) => {
    if (event.kind !== "status-changed" || event.to !== "started" || closing) return;
    closing = new Promise((resolve) =>
      setImmediate(() => {
        queued = agent.context.outbox.waiting;
        resolve(agent.close());
      }),
    );
  });
  t.teardown(unsubscribe);
  const completed = client.complete({ unit: "gate" });
  await eventually(() => closing !== undefined, "the first waiter to start");
  await closing;
  t.true(queued > 0);
  await completed.catch(() => {}); // its answer may be lost with the connection
  for (const wait of waits) {
    const ended = await wait.ended;
    const cases = wait.messages.map((m) => m.event.case);
    if (ended === undefined) t.is(cases.at(-1), "started");
    else t.is(ended.code, status.UNAVAILABLE);
  }
  t.is(agent.context.streams, 0);
  t.is(agent.context.outbox.waiting, 0);
  t.deepEqual(logs.filter((line) => /error|failed/.test(line)), []);
});

/** `count` Starts waiting on `gate` (registered), each past its `waiting` message. */
async function fanOut(client: UnitSyncClient, count: number) {
  for (let i = 0; i < count; i++) await client.want({ unit: `w${i}`, dependsOn: ["gate"] });
  const waits = Array.from({ length: count }, (_, i) => consume(client.start({ unit: `w${i}` })));
  for (const wait of waits) await wait.received(1);
  const gate = consume(client.start({ unit: "gate" }));
  if ((await gate.ended) !== undefined) throw new Error("the gate did not start");
  return waits;
}

test("a Start cancelled while its `started` waits in the outbox is still the start its start_id resumes", async (t) => {
  const { client, newClient } = await withAgent(t);
  const waits = await fanOut(client, 1_000);
  await client.want({ unit: "v", dependsOn: ["gate"] });
  const abort = new AbortController();
  const last = consume(client.start({ unit: "v", startId: "s-v" }, { signal: abort.signal })); // behind every other waiter
  await last.received(1);
  await client.complete({ unit: "gate" });
  abort.abort();
  await last.ended;
  const resumed = consume(newClient().start({ unit: "v", startId: "s-v" }));
  t.is(await resumed.ended, undefined);
  t.is(resumed.messages.at(-1)?.event.case, "started");
  for (const wait of waits) t.is(await wait.ended, undefined);
});

test("the journal keeps the order things happened in while the outbox holds a fan-out: it replays whole", async (t) => {
  const dir = tempDir(t);
  const journal = join(dir, "agent.journal");
  const identity = { bootId: "boot-a", pid1Start: "100" };
  const logs: string[] = [];
  const options = { version: "test", journal, journalIdentity: identity, log: (line: string) => logs.push(line), graceMs: 30_000 };
  const first = await startAgent({ ...options, socketPath: join(dir, "a.sock") });
  const client = connect(first.socketPath);
  const waits = await fanOut(client, 1_000);
  await client.want({ unit: "y", dependsOn: ["d"] });
  t.is(await consume(client.start({ unit: "d" })).ended, undefined);
  // Sent together: y's Start reaches the agent while the gate's fan-out fills the outbox.
  const completed = client.complete({ unit: "gate" });
  const y = consume(client.start({ unit: "y", startId: "sy" }));
  const d = client.complete({ unit: "d" });
  await Promise.all([completed, d]);
  t.is(await y.ended, undefined);
  for (const wait of waits) await wait.ended;
  client.close();
  await first.close();

  const second = await startAgent({ ...options, socketPath: join(dir, "b.sock") });
  const again = connect(second.socketPath);
  t.teardown(async () => (again.close(), await second.close()));
  t.deepEqual(logs.filter((line) => /not replayed/.test(line)), []);
  const resumed = consume(again.start({ unit: "y", startId: "sy" }));
  t.is(await resumed.ended, undefined);
  t.is(resumed.messages.at(-1)?.event.case, "started");
});
