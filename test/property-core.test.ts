// Property tests of the core: any name or request either works or is refused with a typed
// UnitSyncError, and a refused request leaves every observable piece of state as it was.
import { isDeepStrictEqual } from "node:util";
import test from "ava";
import fc from "fast-check";
import { UnitSyncError } from "../src/core/errors.js";
import { MAX_NAME_LENGTH, validateUnitName } from "../src/core/names.js";
import { Registry } from "../src/core/registry.js";
import type { Condition } from "../src/core/status.js";
import { figure, scale } from "./helpers/drill.js";

const RUNS = scale("UNITSYNC_FUZZ_RUNS", 300, 10_000);
const SEED = process.env.UNITSYNC_FUZZ_SEED === undefined ? {} : { seed: Number(process.env.UNITSYNC_FUZZ_SEED) };

const POOL = ["a", "b", "c", "db", "app", "constructor", "toString", "x".repeat(128)];

/** Names users might type, and strings nobody should: every code unit, lone surrogates, long runs. */
const anyName = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...POOL) },
  { weight: 1, arbitrary: fc.string() },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom("a", "-", ".", "/", "@", "+", " ", "\n", "\0"), maxLength: 140 }) },
  { weight: 1, arbitrary: fc.constantFrom("", "-a", "__proto__", "a b", "a\nb", "é", "x".repeat(129), "\ud800") },
);
const anyCondition = fc.constantFrom<Condition>("completed", "started", "finished");
const anyReason = fc.oneof(fc.constantFrom("", "boom"), fc.string({ maxLength: 20 }), fc.string({ unit: "binary", maxLength: 20 }));

type Request =
  | { verb: "want"; unit: string; deps: string[]; condition: Condition }
  | { verb: "start"; unit: string; cancel: boolean }
  | { verb: "complete"; unit: string }
  | { verb: "fail"; unit: string; reason: string }
  | { verb: "get"; unit: string }
  | { verb: "cancel-all" };

const anyRequest: fc.Arbitrary<Request> = fc.oneof(
  fc.record({ verb: fc.constant("want" as const), unit: anyName, deps: fc.array(anyName, { maxLength: 5 }), condition: anyCondition }),
  fc.record({ verb: fc.constant("start" as const), unit: anyName, cancel: fc.boolean() }),
  fc.record({ verb: fc.constant("complete" as const), unit: anyName }),
  fc.record({ verb: fc.constant("fail" as const), unit: anyName, reason: anyReason }),
  fc.record({ verb: fc.constant("get" as const), unit: anyName }),
  fc.constant({ verb: "cancel-all" as const }),
);

/** The naming rule, spelled independently of src/core/names.ts. */
const NAME_RULE = new RegExp(`^[\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}\\p{Zs}\\u200c\\u200d]{1,${MAX_NAME_LENGTH}}$`, "u");

/** Everything a client can read of a registry, as one comparable value. */
function observe(registry: Registry) {
  return structuredClone({ list: registry.list(), graph: registry.graphView(), events: registry.events(), counts: registry.counts() });
}

test("any string is a valid unit name or an InvalidName naming the rule", (t) => {
  let inputs = 0;
  fc.assert(
    fc.property(anyName, (name) => {
      inputs++;
      try {
        return validateUnitName(name) === name && NAME_RULE.test(name);
      } catch (error) {
        return (
          error instanceof UnitSyncError &&
          error.kind === "invalid-argument" &&
          !NAME_RULE.test(name) &&
          /a unit name is 1-\d+ printable characters/.test(error.message)
        );
      }
    }),
    { numRuns: RUNS * 10, ...SEED },
  );
  figure(t, "property-names", { inputs_tried: inputs });
  t.pass();
});

test("any request sequence: core throws only UnitSyncErrors, and a refused request changes nothing", async (t) => {
  let sequences = 0;
  let requests = 0;
  let refusals = 0;
  const kinds = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(fc.array(anyRequest, { minLength: 1, maxLength: 40, size: "large" }), async (sequence) => {
      sequences++;
      const registry = new Registry({ limits: { units: 6, dependenciesPerUnit: 3, reasonLength: 8, events: 40 } });
      const cancels: AbortController[] = [];
      const pending: Promise<unknown>[] = [];
      for (const request of sequence) {
        requests++;
        const before = observe(registry);
        try {
          switch (request.verb) {
            case "want":
              registry.want(request.unit, request.deps, request.condition);
              break;
            case "start": {
              const cancel = new AbortController();
              cancels.push(cancel);
              const wait = registry.start(request.unit, cancel.signal);
              // A wait may end later, by cancel or by another request: only typed errors or the cancel reason.
              pending.push(
                wait.then(
                  () => undefined,
                  (error) => {
                    if (!(error instanceof UnitSyncError) && error !== cancel.signal.reason) throw error;
                  },
                ),
              );
              if (request.cancel) cancel.abort(new Error("cancelled"));
              break;
            }
            case "complete":
              registry.complete(request.unit);
              break;
            case "fail":
              registry.fail(request.unit, request.reason);
              break;
            case "get":
              registry.get(request.unit);
              break;
            case "cancel-all":
              for (const cancel of cancels) cancel.abort(new Error("cancelled"));
              break;
          }
        } catch (error) {
          refusals++;
          if (!(error instanceof UnitSyncError)) throw new Error(`${request.verb} threw a non-UnitSyncError: ${String(error)}`);
          kinds.set(error.kind, (kinds.get(error.kind) ?? 0) + 1);
          if (!isDeepStrictEqual(observe(registry), before)) {
            throw new Error(`a refused ${request.verb} (${error.kind}: ${error.message}) changed state`);
          }
        }
        await Promise.resolve();
      }
      for (const cancel of cancels) cancel.abort(new Error("cancelled"));
      await Promise.all(pending);
      if (registry.counts().waiters !== 0) throw new Error("a cancelled wait was left behind");
      if (registry.listenerCount !== 0) throw new Error("a listener was left behind");
    }),
    { numRuns: RUNS, ...SEED },
  );
  figure(t, "property-requests", { sequences_checked: sequences, inputs_tried: requests, refusals, refusal_kinds: Object.fromEntries(kinds) });
  t.true(kinds.size >= 5, `every kind of refusal was exercised: ${[...kinds.keys()].join(", ")}`);
});
