// Bounded memory per client: a Watch that never reads is ended with RESOURCE_EXHAUSTED "watch fell
// behind" while the agent's memory stays bounded and other clients see every event; `unitsync
// watch` behind a paused pipe resumes from a new snapshot without a gap.
import test from "ava";
import type { UnitSyncClient } from "../src/client/client.js";
import { spawnAgent } from "./helpers/drill-agent.js";
import { LONG, figure, mib, processRss, scale, separateClient, until } from "./helpers/drill.js";
import { callBytes, rawConnect } from "./helpers/h2.js";
import { consume } from "./helpers/streams.js";
import { spawnCli } from "./helpers/cli.js";
import { stopProcess } from "./helpers/agent-process.js";

/**
 * At least `count` events: Wants that each add one new edge (DEPENDENCIES_DECLARED, and a
 * registration for a unit's first), ten edges a unit so answers stay small, many calls in flight.
 */
async function makeEvents(clients: UnitSyncClient[], count: number, prefix = "u"): Promise<void> {
  let next = 0;
  const perUnit = 10;
  await Promise.all(
    clients.flatMap((client) =>
      Array.from({ length: 16 }, async () => {
        for (let i = next++; i < count; i = next++) {
          await client.want({ unit: `${prefix}${Math.floor(i / perUnit)}`, dependsOn: [`d${i % perUnit}`] });
        }
      }),
    ),
  );
}

test.serial("a Watch client that never reads is ended at the stream bound; the agent stays small and other clients see everything", async (t) => {
  const events = scale("UNITSYNC_SLOW_READER_EVENTS", 20_000, 200_000);
  const maxStreamBytes = 256 * 1024;
  const agent = await spawnAgent(t, ["--max-units", String(events / 10 + 100), "--max-stream-bytes", String(maxStreamBytes)]);
  const rssStart = processRss(agent.pid)!;

  // The slow client: a raw connection that sends a Watch and then never reads a byte, so HTTP/2
  // flow control stops the agent's writes once the stream window and the socket buffers are full.
  const slow = await rawConnect(agent.socketPath, { read: false });
  t.teardown(() => slow.socket.destroy());
  slow.socket.write(callBytes("Watch"));
  await until(async () => (await agent.counts()).streams === 1, "the slow watch to open");

  // A healthy watcher on its own connection, reading everything.
  const healthyClient = separateClient(agent.socketPath);
  t.teardown(() => healthyClient.close());
  const healthy = consume(healthyClient.watch({}));
  await until(async () => (await agent.counts()).streams === 2, "the healthy watch to open");

  const writers = [0, 1, 2, 3].map(() => separateClient(agent.socketPath));
  t.teardown(() => writers.forEach((c) => c.close()));
  let peakRss = rssStart;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, processRss(agent.pid) ?? 0)), 50);
  t.teardown(() => clearInterval(sampler));
  const began = Date.now();
  await makeEvents(writers, events);
  clearInterval(sampler);
  peakRss = Math.max(peakRss, processRss(agent.pid)!);

  // The slow stream was ended by the agent, while its connection is still open and unread.
  const counts = await agent.counts();
  t.is(counts.streams, 1, "only the healthy watch is open");
  // The healthy watcher saw every event, contiguous from its snapshot.
  const lastSeq = counts.events + counts.droppedEvents;
  t.true(lastSeq >= events);
  await healthy.received(1 + lastSeq);
  const seqs = healthy.messages.slice(1).map((m) => (m.message.case === "event" ? Number(m.message.value.seq) : -1));
  const first = healthy.messages[0]!.message;
  t.is(first.case, "snapshot");
  const from = first.case === "snapshot" ? Number(first.value.lastSeq) : 0;
  t.deepEqual(seqs.slice(0, 3), [from + 1, from + 2, from + 3]);
  t.true(seqs.every((seq, i) => seq === from + 1 + i), "no event missing for the healthy client");
  t.is(seqs.at(-1), lastSeq);

  // The agent ended the slow stream (its connection is still open and unread) and said why.
  t.false(slow.socket.destroyed);
  t.regex(agent.spawned.stderr(), /ended a Watch stream: watch fell behind: \d+ bytes were waiting for the client; the limit is 262144/);
  // The agent holds the graph (2,200 units and 22,000 edges short, 20,000 and 200,000 long) and
  // its event log (up to 100,000 events); the slow stream adds at most its 256 KiB. The bound is
  // for that state, with room for V8's lazy collection: what it catches is a stream that keeps
  // what its client does not read (200,000 events unread would be kept for ever, and grow).
  const bound = (LONG ? 1024 : 512) * 1024 * 1024;
  t.true(peakRss < bound, `agent RSS ${mib(peakRss)} MiB stays under ${mib(bound)} MiB (start ${mib(rssStart)} MiB)`);
  figure(t, "slow-reader", {
    events: lastSeq,
    units: counts.units,
    max_stream_bytes: maxStreamBytes,
    agent_rss_start_mib: mib(rssStart),
    agent_rss_peak_mib: mib(peakRss),
    agent_rss_bound_mib: mib(bound),
    events_s: Math.round((Date.now() - began) / 100) / 10,
  });
});

// The same events with no slow reader, for what the agent's RSS is without one (make drills only).
test.serial("control for the slow reader: the same events and a healthy watcher, no slow reader", async (t) => {
  if (!LONG) return t.pass();
  const events = scale("UNITSYNC_SLOW_READER_EVENTS", 20_000, 200_000);
  const agent = await spawnAgent(t, ["--max-units", String(events / 10 + 100), "--max-stream-bytes", String(256 * 1024)]);
  const healthyClient = separateClient(agent.socketPath);
  t.teardown(() => healthyClient.close());
  const healthy = consume(healthyClient.watch({}));
  await until(async () => (await agent.counts()).streams === 1, "the healthy watch to open");
  const writers = [0, 1, 2, 3].map(() => separateClient(agent.socketPath));
  t.teardown(() => writers.forEach((c) => c.close()));
  let peakRss = processRss(agent.pid)!;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, processRss(agent.pid) ?? 0)), 50);
  t.teardown(() => clearInterval(sampler));
  await makeEvents(writers, events);
  clearInterval(sampler);
  const counts = await agent.counts();
  await healthy.received(1 + counts.events + counts.droppedEvents);
  figure(t, "slow-reader-control", { events: counts.events + counts.droppedEvents, agent_rss_peak_mib: mib(Math.max(peakRss, processRss(agent.pid)!)) });
  t.pass();
});

test.serial("unitsync watch behind a paused pipe resumes from a new snapshot and shows every change", async (t) => {
  const agent = await spawnAgent(t, ["--max-stream-bytes", "65536"]);
  const watch = spawnCli(["watch", "-o", "json", "--socket", agent.socketPath]);
  t.teardown(() => stopProcess(watch, "SIGKILL").then(() => {}));
  await until(() => watch.stdout().includes('"type":"snapshot"'), "the first snapshot");
  // Stop reading its stdout: once the pipe is full, watch blocks on its write and stops reading the agent.
  watch.child.stdout!.pause();
  const writers = [0, 1].map(() => separateClient(agent.socketPath));
  t.teardown(() => writers.forEach((c) => c.close()));
  await makeEvents(writers, 5_000);
  watch.child.stdout!.resume();
  await agent.client.want({ unit: "marker", dependsOn: ["last"] });
  // The marker shows as an event, or as a unit of the new snapshot if it came first.
  await until(() => /"(unit|unit_name)":"marker"/.test(watch.stdout()), `the marker (stderr: ${watch.stderr()})`, 60_000);
  t.regex(watch.stderr(), /unitsync: watch: fell behind the agent; resuming from a new snapshot/);

  // Fold what watch printed: every snapshot replaces the view, events continue it with no gap.
  const lines = watch.stdout().trim().split("\n").map((l) => JSON.parse(l) as { type: string; last_seq?: number; seq?: number; unit?: string; units?: unknown[] });
  const snapshots = lines.filter((l) => l.type === "snapshot");
  t.true(snapshots.length >= 2, "a new snapshot after falling behind");
  let expected: number | undefined;
  for (const line of lines) {
    if (line.type === "snapshot") {
      t.true(expected === undefined || line.last_seq! >= expected - 1, "a snapshot never goes back");
      expected = line.last_seq! + 1;
    } else {
      t.is(line.seq, expected, "events continue the last snapshot without a gap");
      expected = line.seq! + 1;
    }
  }
  const last = snapshots.at(-1)!;
  const shownUnits = new Set((last.units as { unit_name: string }[]).map((u) => u.unit_name));
  for (const line of lines.slice(lines.lastIndexOf(last))) if (line.type === "event") shownUnits.add(line.unit!);
  const agentUnits = (await agent.client.listUnits({})).units.map((u) => u.name);
  t.deepEqual([...shownUnits].sort(), agentUnits.sort(), "what watch shows covers every unit the agent holds");
  t.is((await agent.counts()).streams, 1);
});
