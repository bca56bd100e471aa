// Test helpers for the pure core: a fake clock, a state snapshot, and a Start call recorder.
import type { UnitStatus } from "../../src/core/status.js";
import type { Registry, StartResult } from "../../src/core/registry.js";

export interface FakeClock {
  now(): number;
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
  /** Sets the clock to `at`. */
  set(at: number): void;
}

export function fakeClock(start = 0): FakeClock {
  let at = start;
  return {
    now: () => at,
    advance: (ms) => {
      at += ms;
    },
    set: (to) => {
      at = to;
    },
  };
}

/** Everything a user can read from a registry, for "nothing changed" comparisons. */
export function snapshot(registry: Registry) {
  return {
    list: registry.list(),
    graph: registry.graphView(),
    events: registry.events(),
    counts: registry.counts(),
    lastSeq: registry.lastSeq,
    timeline: registry.timeline(),
  };
}

export interface StartCall {
  /** The Start call, as a promise even when start() throws synchronously. */
  promise: Promise<StartResult>;
  /** The progress callbacks, in the order they were called. */
  calls: string[];
  readonly state: "waiting" | "resolved" | "rejected";
  readonly error: unknown;
}

/** Calls registry.start(unit) and records its progress callbacks and how it ended. */
export function begin(registry: Registry, unit: string, signal: AbortSignal = new AbortController().signal): StartCall {
  const calls: string[] = [];
  let state: StartCall["state"] = "waiting";
  let error: unknown;
  const promise = (async () =>
    registry.start(unit, signal, {
      onWaiting: (unmet: string[], unregistered: string[]) =>
        calls.push(`waiting [${unmet.join(" ")}] unregistered [${unregistered.join(" ")}]`),
      onSatisfied: (dependency: string, status: UnitStatus, unmet: string[]) =>
        calls.push(`satisfied ${dependency} ${status} unmet [${unmet.join(" ")}]`),
    }))();
  promise.then(
    () => {
      state = "resolved";
    },
    (e: unknown) => {
      state = "rejected";
      error = e;
    },
  );
  return {
    promise,
    calls,
    get state() {
      return state;
    },
    get error() {
      return error;
    },
  };
}

/** Lets every pending promise callback run (no timers are involved in the core). */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
