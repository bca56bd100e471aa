// Server-stream writes go out a batch per event-loop turn, in the order given, so one change that
// wakes thousands of streams starts writing to the socket before every message is built.
import { status } from "@grpc/grpc-js";
import test from "ava";
import { Outbox } from "../src/agent/outbox.js";
import { eventually, withAgent } from "./helpers/agent.js";
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
  const { agent, client, logs } = await withAgent(t);
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
