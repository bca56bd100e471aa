// The Gantt model, its SVG and the trace spans as pure functions of a timeline: segments per
// attempt, start order, escaping, axis ticks, retries, dropped events and the span tree.
import test from "ava";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { EventKind, GetTimelineResponseSchema, ProcessState_Phase, UnitStatus } from "../gen/unitsync/v1/unitsync_pb.js";
import { LOCK_GRANTED, LOCK_REQUESTED } from "../src/view/attempt-segments.js";
import { ganttModel } from "../src/view/gantt-model.js";
import { ganttSvg, labelOf, tickStep } from "../src/view/gantt-svg.js";
import { ROOT_SPAN_NAME, traceSpans } from "../src/view/trace-spans.js";
import { EXAMPLE, T0, timelineOf } from "./helpers/timeline-fixture.js";

test("each unit becomes a row of wait and run segments, in the order units began", (t) => {
  const model = ganttModel(timelineOf(EXAMPLE, ["git-clone", "npm install", "ide"]), { blocked: new Set(["seed-data"]) });
  t.is(model.origin, T0);
  t.is(model.end, 7300);
  t.deepEqual(model.rows.map((r) => r.unit), ["git-clone", "dotfiles", "env-setup", "npm install", "db-migrate", "ide", "seed-data"]);
  const row = (name: string) => model.rows.find((r) => r.unit === name)!;
  t.deepEqual(
    row("env-setup").segments.map((s) => [s.kind, s.start, s.end, s.outcome]),
    [
      ["wait", 30, 2410, "ok"],
      ["run", 2410, 3900, "ok"],
    ],
  );
  t.deepEqual(row("db-migrate").segments.at(-1), { kind: "run", start: 3910, end: 4300, open: false, attempt: 1, outcome: "failed", reason: 'exit status 1: relation "users" already exists' });
  t.is(row("db-migrate").state, "failed");
  t.deepEqual(row("seed-data").segments.map((s) => [s.kind, s.outcome, s.reason]), [["wait", "ended", "dependency db-migrate failed: exit status 1"]]);
  t.is(row("seed-data").state, "not-run");
  t.true(row("seed-data").blocked);
  t.deepEqual(model.rows.filter((r) => r.critical).map((r) => r.unit), ["git-clone", "npm install", "ide"]);
  t.like(model.summary, { units: 7, completed: 5, failed: 1, notRun: 1, finished: true });
  t.is(labelOf(row("env-setup")), "env-setup 1.49s · waited 2.38s");
  t.is(labelOf(row("seed-data")), "seed-data — not run (a dependency failed)");
});

test("open waits and runs end at now and are marked open", (t) => {
  const model = ganttModel(timelineOf([{ name: "a", started: 100 }, { name: "b", waitFrom: 50 }]), { now: T0 + 1_000 });
  const [a, b] = ["a", "b"].map((name) => model.rows.find((r) => r.unit === name));
  t.deepEqual(a!.segments.map((s) => [s.kind, s.start, s.end, s.open, s.outcome]), [["run", 100, 1000, true, "open"]]);
  t.is(a!.state, "running");
  t.is(b!.state, "waiting");
  t.false(model.summary.finished);
  t.regex(ganttSvg(model), /still open at \+1\.00s/);
});

test("a unit started again shows each attempt, the later ones marked as retries", (t) => {
  const event = (seq: number, at: number, kind: EventKind, from: UnitStatus, to: UnitStatus, reason = "") => ({
    seq: BigInt(seq),
    time: timestampFromMs(T0 + at),
    unit: "flaky",
    kind,
    from,
    to,
    reason,
  });
  const response = create(GetTimelineResponseSchema, {
    entries: [{ unit: "flaky", status: UnitStatus.COMPLETED, registeredAt: timestampFromMs(T0), startedAt: timestampFromMs(T0 + 10), finishedAt: timestampFromMs(T0 + 900) }],
    events: [
      event(1, 0, EventKind.STATUS_CHANGED, UnitStatus.NOT_REGISTERED, UnitStatus.PENDING),
      event(2, 10, EventKind.STATUS_CHANGED, UnitStatus.PENDING, UnitStatus.STARTED),
      event(3, 300, EventKind.STATUS_CHANGED, UnitStatus.STARTED, UnitStatus.FAILED, "exit status 1"),
      event(4, 400, EventKind.WAIT_BEGAN, UnitStatus.FAILED, UnitStatus.FAILED),
      event(5, 500, EventKind.STATUS_CHANGED, UnitStatus.FAILED, UnitStatus.STARTED),
      event(6, 900, EventKind.STATUS_CHANGED, UnitStatus.STARTED, UnitStatus.COMPLETED),
    ],
  });
  const model = ganttModel(response);
  const [row] = model.rows;
  t.is(row!.attempts, 2);
  t.deepEqual(row!.segments.map((s) => [s.attempt, s.kind, s.start, s.end, s.outcome]), [
    [1, "run", 10, 300, "failed"],
    [2, "wait", 400, 500, "ok"],
    [2, "run", 500, 900, "ok"],
  ]);
  t.is(labelOf(row!), "flaky 690ms · waited 100ms · 2 attempts");
  const svg = ganttSvg(model);
  t.regex(svg, /class="seg run retry" [^>]*data-attempt="2"><title>flaky · attempt 2 · running/);
  const spans = traceSpans(model);
  t.deepEqual(spans.filter((s) => s.parent === "root").map((s) => [s.name, s.attributes["unitsync.unit.attempt"], s.error ?? ""]), [
    ["flaky", 1, "exit status 1"],
    ["flaky", 2, ""],
  ]);
  t.deepEqual(traceSpans(model, { since: 350 }).filter((s) => s.parent === "root").map((s) => s.attributes["unitsync.unit.attempt"]), [2], "a later start-up holds only the later attempt");
});

test("names and reasons are escaped, and characters XML cannot hold are replaced", (t) => {
  const svg = ganttSvg(
    ganttModel(timelineOf([{ name: 'a <b> & "c"', started: 0, finished: 10, failed: "bad \u0001 byte </title><script>" }])),
  );
  t.notRegex(svg, /<script>|<b>|\u0001/);
  t.regex(svg, /data-unit="a &lt;b&gt; &amp; &quot;c&quot;"/);
  t.regex(svg, /failed: bad \ufffd byte &lt;\/title&gt;&lt;script&gt;/);
});

test("the axis takes 1-2-5 steps about 90 pixels apart", (t) => {
  t.is(tickStep(7_300, 800), 1_000);
  t.is(tickStep(60_000, 3_200), 2_000);
  t.is(tickStep(600, 800), 100);
  t.is(tickStep(3_600_000, 3_200), 200_000);
});

test("units whose events were dropped from the log are drawn from their entries", (t) => {
  const response = timelineOf([{ name: "early", waitFrom: 0, started: 100, finished: 300 }, { name: "late", registered: 400, started: 400, finished: 800 }]);
  response.events = response.events.filter((e) => e.unit !== "early");
  response.droppedEvents = 3n;
  const row = ganttModel(response).rows.find((r) => r.unit === "early")!;
  t.deepEqual(row.segments.map((s) => [s.kind, s.start, s.end]), [
    ["wait", 0, 100],
    ["run", 100, 300],
  ]);
});

test("the trace is a root span over one span per unit attempt with its waits and run as children", (t) => {
  const model = ganttModel(timelineOf(EXAMPLE, ["git-clone", "npm install", "ide"]), { blocked: new Set(["seed-data"]), owners: new Map([["ide", "ide.sh"]]) });
  const spans = traceSpans(model);
  const [root, ...rest] = spans;
  t.like(root, { key: "root", name: ROOT_SPAN_NAME, start: T0 + 0, end: T0 + 7300, error: "1 unit attempt failed" });
  t.deepEqual(rest.filter((s) => s.parent === "root").map((s) => s.name), model.rows.map((r) => r.unit));
  const ide = rest.find((s) => s.name === "ide")!;
  t.like(ide.attributes, { "unitsync.unit.owner": "ide.sh", "unitsync.unit.attempt": 1, "unitsync.unit.critical": true });
  t.deepEqual(rest.filter((s) => s.parent === ide.key).map((s) => [s.name, s.end - s.start]), [
    ["dependency wait", 6050],
    ["run", 1190],
  ]);
  t.is(rest.find((s) => s.name === "seed-data")!.error, "not run: dependency db-migrate failed: exit status 1");
  t.deepEqual(traceSpans(ganttModel(timelineOf([]))), []);
});

test("an entry's attempts give each run its segments, and a service its serving time", (t) => {
  const at = (ms: number) => timestampFromMs(T0 + ms);
  const response = create(GetTimelineResponseSchema, {
    entries: [
      {
        unit: "db",
        status: UnitStatus.COMPLETED,
        registeredAt: at(0),
        attempts: [
          { number: 1, status: UnitStatus.FAILED, reason: "exit status 1", beganAt: at(0), startRequestedAt: at(0), startedAt: at(100), finishedAt: at(400) },
          { number: 2, status: UnitStatus.COMPLETED, beganAt: at(600), startedAt: at(600), finishedAt: at(900) },
        ],
        process: { phase: ProcessState_Phase.EXITED, pid: 42, attempt: 2, readyAt: at(900), exitedAt: at(5_000), exitCode: 143, exitReason: "killed by SIGTERM" },
      },
    ],
  });
  const model = ganttModel(response);
  const [row] = model.rows;
  t.is(row!.attempts, 2);
  t.deepEqual(row!.segments.map((s) => [s.attempt, s.kind, s.start, s.end, s.outcome]), [
    [1, "wait", 0, 100, "ok"],
    [1, "run", 100, 400, "failed"],
    [2, "run", 600, 900, "ok"],
    [2, "serving", 900, 5_000, "ended"],
  ]);
  t.is(labelOf(row!), "db 600ms · waited 100ms · 2 attempts · served 4.10s");
  const spans = traceSpans(model);
  const second = spans.find((s) => s.parent === "root" && s.attributes["unitsync.unit.attempt"] === 2)!;
  t.like(second.attributes, { "process.pid": 42, "process.exit.code": 143, "unitsync.unit.exit_status": "killed by SIGTERM" });
  t.deepEqual(spans.filter((s) => s.parent === second.key).map((s) => s.name), ["run", "serving"]);
  t.regex(ganttSvg(model), /class="seg serving retry"[^>]*><title>db · attempt 2 · ready, serving\n[^<]*\nkilled by SIGTERM</);
});

test("a lease's lock wait is drawn apart, and the run begins when the locks are held", (t) => {
  const at = (ms: number) => timestampFromMs(T0 + ms);
  const lockEvent = (seq: number, ms: number, kind: number) => ({ seq: BigInt(seq), time: at(ms), unit: "apt-build", kind: kind as EventKind, attempt: 1, from: UnitStatus.STARTED, to: UnitStatus.STARTED, reason: "" });
  const response = create(GetTimelineResponseSchema, {
    entries: [
      {
        unit: "apt-build",
        status: UnitStatus.COMPLETED,
        registeredAt: at(0),
        attempts: [{ number: 1, status: UnitStatus.COMPLETED, beganAt: at(0), startRequestedAt: at(0), startedAt: at(50), finishedAt: at(1_000) }],
      },
    ],
    events: [lockEvent(0, 0, EventKind.WAIT_BEGAN), lockEvent(1, 60, LOCK_REQUESTED), lockEvent(2, 400, LOCK_GRANTED)],
  });
  const model = ganttModel(response);
  t.deepEqual(model.rows[0]!.segments.map((s) => [s.kind, s.start, s.end, s.outcome]), [
    ["wait", 0, 50, "ok"],
    ["lock-wait", 60, 400, "ok"],
    ["run", 400, 1_000, "ok"],
  ]);
  t.deepEqual(traceSpans(model).filter((s) => s.parent === "apt-build#1").map((s) => s.name), ["dependency wait", "lock wait", "run"]);
  t.regex(ganttSvg(model), /class="seg lock-wait"[^>]*><title>apt-build · waiting for locks\n/);
});
