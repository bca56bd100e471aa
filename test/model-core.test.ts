// Model-based test of the core: random want/start/complete/fail/cancel sequences run against the
// registry and against a small reference model; both must agree after every step on each result,
// status, attempt, readiness, blocked-by chain, the dependents a fail reports blocked, and on how and
// when every Start wait ended.
import { isDeepStrictEqual } from "node:util";
import test from "ava";
import fc from "fast-check";
import { DependencyFailed, UnitSyncError } from "../src/core/errors.js";
import { Registry } from "../src/core/registry.js";
import type { Condition, UnitStatus } from "../src/core/status.js";
import { figure, scale } from "./helpers/drill.js";

const RUNS = scale("UNITSYNC_FUZZ_RUNS", 300, 10_000);
const SEED = process.env.UNITSYNC_FUZZ_SEED === undefined ? {} : { seed: Number(process.env.UNITSYNC_FUZZ_SEED) };

const NAMES = ["a", "b", "c", "d", "e", "f", "g"];
const LIMITS = { units: 6, dependenciesPerUnit: 3, reasonLength: 8, events: 100_000 };

type Command =
  | { verb: "want"; unit: string; deps: string[]; condition: Condition }
  | { verb: "start"; unit: string }
  | { verb: "complete"; unit: string }
  | { verb: "fail"; unit: string; reason: string }
  /** Cancels an earlier Start: 0 is the latest. */
  | { verb: "cancel"; back: number };

const name = fc.oneof({ weight: 20, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: fc.constantFrom("", "-x", "a b", "bad\nname") });
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ verb: fc.constant("want" as const), unit: name, deps: fc.array(name, { maxLength: 3 }), condition: fc.constantFrom<Condition>("completed", "started", "finished") }) },
  { weight: 3, arbitrary: fc.record({ verb: fc.constant("start" as const), unit: name }) },
  { weight: 2, arbitrary: fc.record({ verb: fc.constant("complete" as const), unit: name }) },
  { weight: 2, arbitrary: fc.record({ verb: fc.constant("fail" as const), unit: name, reason: fc.constantFrom("", "boom", "too long a reason") }) },
  { weight: 1, arbitrary: fc.record({ verb: fc.constant("cancel" as const), back: fc.nat(5) }) },
);

/** A wait that a dependency then decides: want u d; start d; start u; then complete or fail d. */
const decided: fc.Arbitrary<Command[]> = fc
  .record({
    unit: fc.constantFrom(...NAMES),
    dep: fc.constantFrom(...NAMES),
    condition: fc.constantFrom<Condition>("completed", "started", "finished"),
    outcome: fc.constantFrom("complete", "fail"),
  })
  .map(({ unit, dep, condition, outcome }) => [
    { verb: "want", unit, deps: [dep], condition },
    { verb: "start", unit: dep },
    { verb: "start", unit },
    outcome === "complete" ? { verb: "complete", unit: dep } : { verb: "fail", unit: dep, reason: "boom" },
  ]);

/** A wait that its client cancels: want u d; start u; cancel it. */
const cancelled: fc.Arbitrary<Command[]> = fc
  .record({ unit: fc.constantFrom(...NAMES), dep: fc.constantFrom(...NAMES) })
  .map(({ unit, dep }) => [
    { verb: "want", unit, deps: [dep], condition: "completed" },
    { verb: "start", unit },
    { verb: "cancel", back: 0 },
  ]);

/** A re-run: u and d finish, then d starts again and u's new attempt waits for it. */
const rerun: fc.Arbitrary<Command[]> = fc
  .record({ unit: fc.constantFrom(...NAMES), dep: fc.constantFrom(...NAMES), outcome: fc.constantFrom("complete", "fail") })
  .map(({ unit, dep, outcome }) => [
    { verb: "want", unit, deps: [dep], condition: "completed" },
    { verb: "start", unit: dep },
    { verb: "complete", unit: dep },
    { verb: "start", unit },
    outcome === "complete" ? { verb: "complete", unit } : { verb: "fail", unit, reason: "boom" },
    { verb: "start", unit: dep },
    { verb: "start", unit },
    { verb: "complete", unit: dep },
  ]);

/** Single commands, mixed with short scenarios that make waits end in every way. */
const sequence = fc
  .array(
    fc.oneof(
      { weight: 8, arbitrary: command.map((c) => [c]) },
      { weight: 1, arbitrary: decided },
      { weight: 1, arbitrary: cancelled },
      { weight: 1, arbitrary: rerun },
    ),
    { minLength: 1, maxLength: 30, size: "large" },
  )
  .map((parts) => parts.flat());

/** How a call or a wait ended: "ok"/"started", an error kind, or "cancelled". */
type Outcome = string;

/** The chain of a blocked unit: from it down to the failed unit. */
type Blocked = string[] | undefined;

// ---- the reference model: plain sets and maps, recursion, every rule spelled out ----------------

class Model {
  /** Every name the graph knows: registered units and names only used as dependencies. */
  names = new Set<string>();
  status = new Map<string, UnitStatus>();
  /** unit → its current attempt, 1 for the first. */
  attempt = new Map<string, number>();
  /** unit → (dependency → condition), in the order first declared. */
  deps = new Map<string, Map<string, Condition>>();
  /** unit → id of its open wait. */
  waiting = new Map<string, number>();
  /** wait id → [outcome, step] once it ended. */
  ended = new Map<number, [Outcome, number]>();
  /** wait id → blocked chain when it ended with dependency-failed. */
  chains = new Map<number, string[]>();

  statusOf(unit: string): UnitStatus {
    return this.status.get(unit) ?? "not registered";
  }

  depsOf(unit: string): Map<string, Condition> {
    return this.deps.get(unit) ?? new Map();
  }

  satisfied(condition: Condition, status: UnitStatus): boolean {
    if (condition === "completed") return status === "completed";
    if (condition === "started") return status === "started" || status === "completed";
    return status === "completed" || status === "failed";
  }

  ready(unit: string): boolean {
    return [...this.depsOf(unit)].every(([dep, condition]) => this.satisfied(condition, this.statusOf(dep)));
  }

  /** A pending unit is blocked when a dependency it needs (not "finished") failed, or is pending and blocked. */
  blocked(unit: string): Blocked {
    for (const [dep, condition] of this.depsOf(unit)) {
      if (condition === "finished") continue;
      if (this.statusOf(dep) === "failed") return [unit, dep];
      if (this.statusOf(dep) === "pending") {
        const below = this.blocked(dep);
        if (below) return [unit, ...below];
      }
    }
    return undefined;
  }

  /** Whether `from` needs `to`: reaches it over dependencies whose failure blocks (not "finished"). */
  needs(from: string, to: string): boolean {
    return [...this.depsOf(from)].some(([dep, condition]) => condition !== "finished" && (dep === to || this.needs(dep, to)));
  }

  /** The pending units a failure of `unit` leaves blocked: they need it, and are blocked now. */
  blockedBy(unit: string): string[] {
    return [...this.names].filter((n) => this.statusOf(n) === "pending" && this.needs(n, unit) && this.blocked(n) !== undefined).sort();
  }

  /** Whether `from` reaches `to` by following dependencies. */
  reaches(from: string, to: string): boolean {
    if (from === to) return true;
    return [...this.depsOf(from).keys()].some((dep) => this.reaches(dep, to));
  }

  valid(name: string): boolean {
    return name.length > 0 && !/[\p{Cc}]/u.test(name);
  }

  register(unit: string): void {
    this.names.add(unit);
    if (!this.status.has(unit)) {
      this.status.set(unit, "pending");
      this.attempt.set(unit, 1);
    }
  }

  /** Ends the unit's own wait: a unit marked completed or failed while waiting can no longer start. */
  endOwnWait(unit: string, step: number): void {
    const id = this.waiting.get(unit);
    if (id === undefined) return;
    this.waiting.delete(unit);
    this.ended.set(id, ["illegal-transition", step]);
  }

  /** Re-checks every open wait until nothing changes: blocked ones fail, ready ones start. */
  settle(step: number): void {
    for (let changed = true; changed; ) {
      changed = false;
      for (const [unit, id] of [...this.waiting]) {
        const chain = this.blocked(unit);
        if (chain) {
          this.waiting.delete(unit);
          this.ended.set(id, ["dependency-failed", step]);
          this.chains.set(id, chain);
          changed = true;
        } else if (this.ready(unit)) {
          this.waiting.delete(unit);
          this.status.set(unit, "started");
          this.ended.set(id, ["started", step]);
          changed = true;
        }
      }
    }
  }

  want(unit: string, deps: string[], condition: Condition): Outcome {
    if (!this.valid(unit) || deps.length === 0 || !deps.every((d) => this.valid(d))) return "invalid-argument";
    const unique = [...new Set(deps)];
    const fresh = unique.filter((d) => !this.depsOf(unit).has(d));
    // Whatever the unit's status: a new edge applies from its next attempt.
    if (this.depsOf(unit).size + fresh.length > LIMITS.dependenciesPerUnit) return "limit";
    const newNames = new Set([unit, ...fresh].filter((n) => !this.names.has(n)));
    if (this.names.size + newNames.size > LIMITS.units) return "limit";
    if (fresh.some((dep) => this.reaches(dep, unit))) return "cycle";
    const edges = this.deps.get(unit) ?? new Map<string, Condition>();
    for (const dep of unique) edges.set(dep, condition);
    this.deps.set(unit, edges);
    for (const dep of unique) this.names.add(dep);
    this.register(unit);
    return "ok";
  }

  /** The outcome of the call itself; a wait that begins is recorded under `id`. */
  start(unit: string, id: number, step: number): Outcome {
    if (!this.valid(unit)) return "invalid-argument";
    if (!this.names.has(unit) && this.names.size + 1 > LIMITS.units) return "limit";
    this.register(unit);
    if (this.statusOf(unit) === "started" || this.waiting.has(unit)) return "illegal-transition";
    const chain = this.blocked(unit);
    if (chain) {
      this.chains.set(id, chain);
      return "dependency-failed";
    }
    // A completed or failed unit begins a new attempt: pending again, waiting as usual.
    if (this.statusOf(unit) !== "pending") {
      this.status.set(unit, "pending");
      this.attempt.set(unit, this.attempt.get(unit)! + 1);
    }
    this.waiting.set(unit, id);
    this.settle(step);
    return "ok";
  }

  complete(unit: string, step: number): Outcome {
    if (!this.valid(unit)) return "invalid-argument";
    if (!this.status.has(unit)) return "not-found";
    if (this.statusOf(unit) === "completed") return "ok";
    if (this.statusOf(unit) === "failed") return "illegal-transition";
    this.status.set(unit, "completed");
    this.endOwnWait(unit, step);
    return "ok";
  }

  fail(unit: string, reason: string, step: number): Outcome {
    if (!this.valid(unit) || reason.length > LIMITS.reasonLength) return "invalid-argument";
    if (!this.status.has(unit)) return "not-found";
    if (this.statusOf(unit) === "failed") return "ok";
    if (this.statusOf(unit) === "completed") return "illegal-transition";
    this.status.set(unit, "failed");
    this.endOwnWait(unit, step);
    return "ok";
  }

  cancel(id: number, step: number): void {
    for (const [unit, open] of this.waiting) {
      if (open === id) {
        this.waiting.delete(unit);
        this.ended.set(id, ["cancelled", step]);
      }
    }
  }
}

// ---- the run: both sides, compared after every step ------------------------------------------

const kindOf = (error: unknown): Outcome => (error instanceof UnitSyncError ? error.kind : "cancelled");

interface Tally {
  sequences: number;
  commands: number;
  waits: number;
  outcomes: Map<string, number>;
}

async function check(commands: Command[], tally: Tally): Promise<void> {
  tally.sequences++;
  const registry = new Registry({ limits: LIMITS });
  const model = new Model();
  const cancels: AbortController[] = [];
  const ended = new Map<number, [Outcome, number]>();
  const chains = new Map<number, string[]>();
  let step = 0;
  const fail = (what: string, actual: unknown, expected: unknown) => {
    throw new Error(`step ${step} (${JSON.stringify(commands[step])}): ${what}: registry ${JSON.stringify(actual)}, model ${JSON.stringify(expected)}`);
  };

  for (step = 0; step < commands.length; step++) {
    tally.commands++;
    const c = commands[step]!;
    let actual: Outcome = "ok";
    let expected: Outcome = "ok";
    let reported: string[] = [];
    let modelReported: string[] = [];
    const record = (error: unknown) => {
      actual = kindOf(error);
      if (error instanceof DependencyFailed && c.verb === "start") chains.set(cancels.length - 1, [...error.chain]);
    };
    try {
      switch (c.verb) {
        case "want":
          expected = model.want(c.unit, c.deps, c.condition);
          registry.want(c.unit, c.deps, c.condition);
          break;
        case "start": {
          const id = cancels.length;
          const cancel = new AbortController();
          cancels.push(cancel);
          expected = model.start(c.unit, id, step);
          const at = () => step;
          registry.start(c.unit, cancel.signal).then(
            () => ended.set(id, ["started", at()]),
            (error) => {
              ended.set(id, [kindOf(error), at()]);
              if (error instanceof DependencyFailed) chains.set(id, [...error.chain]);
            },
          );
          tally.waits++;
          break;
        }
        case "complete":
          expected = model.complete(c.unit, step);
          registry.complete(c.unit);
          break;
        case "fail": {
          const wasFailed = model.statusOf(c.unit) === "failed";
          expected = model.fail(c.unit, c.reason, step);
          reported = [...registry.fail(c.unit, c.reason).blocked].sort();
          model.settle(step);
          // A fail that changes the unit reports the pending dependents it leaves blocked.
          modelReported = expected === "ok" && !wasFailed ? model.blockedBy(c.unit) : [];
          break;
        }
        case "cancel":
          if (cancels.length > 0) {
            const id = Math.max(0, cancels.length - 1 - c.back);
            model.cancel(id, step);
            cancels[id]!.abort(new Error("cancelled"));
          }
          break;
      }
    } catch (error) {
      record(error);
    }
    model.settle(step);
    await Promise.resolve();
    await Promise.resolve();
    tally.outcomes.set(`${c.verb}:${actual}`, (tally.outcomes.get(`${c.verb}:${actual}`) ?? 0) + 1);

    if (actual !== expected) fail("result", actual, expected);
    if (!isDeepStrictEqual(reported, modelReported)) fail("dependents reported blocked", reported, modelReported);
    if (!isDeepStrictEqual(ended, model.ended)) fail("ended waits [outcome, step]", [...ended], [...model.ended]);
    if (!isDeepStrictEqual(chains, model.chains)) fail("dependency-failed chains", [...chains], [...model.chains]);
    for (const unit of NAMES) {
      const view = registry.get(unit);
      const want = {
        status: model.statusOf(unit),
        ready: model.ready(unit),
        blocked: model.statusOf(unit) === "pending" ? model.blocked(unit) : undefined,
        waiting: model.waiting.has(unit),
        attempt: model.attempt.get(unit) ?? 0,
      };
      const got = { status: view.status, ready: view.ready, blocked: view.blocked?.chain, waiting: view.waiting, attempt: view.attempt };
      if (!isDeepStrictEqual(got, want)) fail(`unit ${unit}`, got, want);
      if (view.blocked && view.blocked.failedUnit !== view.blocked.chain.at(-1)) fail(`blocked root of ${unit}`, view.blocked, want.blocked);
    }
    const graph = registry.graphView();
    const names = graph.nodes.map((n) => n.name).sort();
    if (!isDeepStrictEqual(names, [...model.names].sort())) fail("names", names, [...model.names].sort());
    const edges = graph.edges.map((e) => `${e.unit}>${e.dependsOn}:${e.required}`).sort();
    const modelEdges = [...model.deps].flatMap(([u, d]) => [...d].map(([dep, cond]) => `${u}>${dep}:${cond}`)).sort();
    if (!isDeepStrictEqual(edges, modelEdges)) fail("edges", edges, modelEdges);
    if ([...model.attempt.values()].some((n) => n > 1)) tally.outcomes.set("attempt:again", (tally.outcomes.get("attempt:again") ?? 0) + 1);
    if (registry.counts().waiters !== model.waiting.size) fail("waiter count", registry.counts().waiters, model.waiting.size);
  }
  // Every event has the next sequence number: none lost, none repeated.
  const seqs = registry.events().map((e) => e.seq);
  if (!seqs.every((seq, i) => seq === i + 1)) fail("event sequence", seqs, "1..n");
  for (const [outcome] of ended.values()) tally.outcomes.set(`wait:${outcome}`, (tally.outcomes.get(`wait:${outcome}`) ?? 0) + 1);
  for (const cancel of cancels) cancel.abort(new Error("cancelled"));
  if (registry.counts().waiters !== 0) fail("waiters left after cancelling all", registry.counts().waiters, 0);
}

test("the registry agrees with a reference model on every result, status, blocked chain and wait outcome", async (t) => {
  const tally: Tally = { sequences: 0, commands: 0, waits: 0, outcomes: new Map() };
  await fc.assert(
    fc.asyncProperty(sequence, (commands) => check(commands, tally)),
    { numRuns: RUNS, includeErrorInReport: true, ...SEED },
  );
  figure(t, "model-based", {
    sequences_checked: tally.sequences,
    commands_run: tally.commands,
    waits_checked: tally.waits,
    outcomes: Object.fromEntries([...tally.outcomes].sort()),
  });
  // The sequences reach every interesting outcome, not only refusals.
  const outcomes = ["want:ok", "want:cycle", "want:limit", "start:ok", "start:dependency-failed", "complete:ok", "fail:ok"];
  for (const outcome of [...outcomes, "attempt:again", "wait:started", "wait:dependency-failed", "wait:illegal-transition", "wait:cancelled"]) {
    t.true((tally.outcomes.get(outcome) ?? 0) > 0, `no sequence produced ${outcome}`);
  }
});
