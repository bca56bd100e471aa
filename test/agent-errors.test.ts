// Error codes and messages the agent answers with: invalid names, unknown units, cycles, illegal transitions.
import { status, type ServiceError } from "@grpc/grpc-js";
import test from "ava";
import { UnitStatus } from "../gen/unitsync/v1/unitsync_pb.js";
import { withAgent } from "./helpers/agent.js";
import { consume } from "./helpers/streams.js";

const RULE = "a unit name is 1-1024 printable characters (letters, digits, punctuation, symbols, spaces); control characters are refused";

const BAD_NAMES: [string, string, RegExp][] = [
  ["that is empty", "", /^unit name is empty; /],
  ["containing a newline", "a\nb", /^invalid unit name "a\\u\{a\}b": control character U\+000A at position 2; /],
  ["containing a tab", "a\tb", /^invalid unit name "a\\u\{9\}b": control character U\+0009 at position 2; /],
  ["containing a C1 control", "a\u0085", /^invalid unit name "a\\u\{85\}": control character U\+0085 at position 2; /],
  ["of 1025 characters", "x".repeat(1025), /^unit name "x{32}…" is 1025 characters; /],
];

for (const [what, name, message] of BAD_NAMES) {
  test(`a unit name ${what} is INVALID_ARGUMENT with the rule, in every RPC, and the agent keeps serving`, async (t) => {
    const { client } = await withAgent(t);
    const calls: [string, () => Promise<unknown>][] = [
      ["want unit", () => client.want({ unit: name, dependsOn: ["ok"] })],
      ["want dependency", () => client.want({ unit: "ok", dependsOn: ["fine", name] })],
      ["start", () => consume(client.start({ unit: name })).ended.then((error) => Promise.reject(error ?? new Error("started")))],
      ["complete", () => client.complete({ unit: name })],
      ["fail", () => client.fail({ unit: name, reason: "x" })],
      ["getUnit", () => client.getUnit({ unit: name })],
      ["watch", () => consume(client.watch({ units: [name] })).ended.then((error) => Promise.reject(error ?? new Error("ended OK")))],
    ];
    for (const [rpc, call] of calls) {
      const error = await t.throwsAsync<ServiceError>(call(), undefined, rpc);
      t.is(error.code, status.INVALID_ARGUMENT, rpc);
      t.regex(error.details, message, rpc);
      t.true(error.details.endsWith(RULE), `${rpc}: the message names the rule`);
    }
    // Nothing was registered, and the agent answers the next call.
    t.deepEqual((await client.listUnits({})).units, []);
    t.is((await client.ping({})).version, "test");
  });
}

test("a 128-character name is accepted", async (t) => {
  const { client } = await withAgent(t);
  const name = "a".repeat(128);
  const { unit } = await client.want({ unit: name, dependsOn: ["b"] });
  t.is(unit!.name, name);
});

test("want with no dependencies is INVALID_ARGUMENT", async (t) => {
  const { client } = await withAgent(t);
  const error = await t.throwsAsync<ServiceError>(client.want({ unit: "ide", dependsOn: [] }));
  t.is(error.code, status.INVALID_ARGUMENT);
  t.is(error.details, 'unit "ide" declares no dependencies; name at least one');
});

test("complete and fail of a never-registered unit are NOT_FOUND, naming the unit and what to do", async (t) => {
  const { client } = await withAgent(t);
  await client.want({ unit: "ide", dependsOn: ["git-clone"] }); // names git-clone without registering it
  for (const [rpc, call] of [
    ["complete", () => client.complete({ unit: "git-clone" })],
    ["fail", () => client.fail({ unit: "git-clone", reason: "x" })],
    ["complete", () => client.complete({ unit: "ghost" })],
  ] as const) {
    const error = await t.throwsAsync<ServiceError>(call(), undefined, rpc);
    t.is(error.code, status.NOT_FOUND, rpc);
    t.regex(error.details, /^unit "(git-clone|ghost)" not found; declare it with "unitsync want" or "unitsync start" first$/);
  }
  t.is((await client.getUnit({ unit: "git-clone" })).unit!.status, UnitStatus.NOT_REGISTERED);
});

test("an edge that closes a cycle is FAILED_PRECONDITION naming the cycle, and changes nothing", async (t) => {
  const { client } = await withAgent(t);
  await client.want({ unit: "a", dependsOn: ["b"] });
  await client.want({ unit: "b", dependsOn: ["c"] });
  const before = await client.getGraph({});

  const cycle = await t.throwsAsync<ServiceError>(client.want({ unit: "c", dependsOn: ["d", "a"] }));
  t.is(cycle.code, status.FAILED_PRECONDITION);
  t.is(cycle.details, "cycle detected: c -> a -> b -> c");
  t.is(cycle.metadata.get("unitsync-error-kind")[0], "cycle");

  const self = await t.throwsAsync<ServiceError>(client.want({ unit: "x", dependsOn: ["x"] }));
  t.is(self.code, status.FAILED_PRECONDITION);
  t.is(self.details, "cycle detected: x -> x");

  t.deepEqual(await client.getGraph({}), before, "the rejected declarations left no trace");
  t.deepEqual(
    (await client.listUnits({})).units.map((u) => u.name),
    ["a", "b"],
  );
});

test("starting a unit that is already started is FAILED_PRECONDITION; a completed or failed one begins a new attempt", async (t) => {
  const { client } = await withAgent(t);
  t.is(await consume(client.start({ unit: "a" })).ended, undefined);
  const again = await consume(client.start({ unit: "a" })).ended;
  t.is(again?.code, status.FAILED_PRECONDITION);
  t.is(again?.details, 'unit "a" is already started');
  t.is(again?.metadata.get("unitsync-error-kind")[0], "illegal-transition");

  await client.complete({ unit: "a" });
  const rerun = consume(client.start({ unit: "a" }));
  t.is(await rerun.ended, undefined);
  t.like((await client.getUnit({ unit: "a" })).unit, { status: UnitStatus.STARTED, attempt: 2 });

  await client.want({ unit: "b", dependsOn: ["z"] });
  await client.fail({ unit: "b", reason: "broken" });
  const retry = consume(client.start({ unit: "b" }));
  await retry.received(1); // waiting for z, pushed
  t.like((await client.getUnit({ unit: "b" })).unit, { status: UnitStatus.PENDING, attempt: 2, waiting: true, reason: "" });
  t.is(await consume(client.start({ unit: "z" })).ended, undefined);
  await client.complete({ unit: "z" });
  t.is(await retry.ended, undefined);
  t.like((await client.getUnit({ unit: "b" })).unit, { status: UnitStatus.STARTED, attempt: 2 });
});

test("completing a failed unit and failing a completed one are FAILED_PRECONDITION", async (t) => {
  const { client } = await withAgent(t);
  await client.want({ unit: "a", dependsOn: ["z"] });
  await client.want({ unit: "b", dependsOn: ["z"] });
  await client.fail({ unit: "a", reason: "disk full" });
  await client.complete({ unit: "b" });

  const complete = await t.throwsAsync<ServiceError>(client.complete({ unit: "a" }));
  t.is(complete.code, status.FAILED_PRECONDITION);
  t.is(complete.details, 'unit "a" already failed (disk full); it cannot complete');
  const fail = await t.throwsAsync<ServiceError>(client.fail({ unit: "b", reason: "late" }));
  t.is(fail.code, status.FAILED_PRECONDITION);
  t.is(fail.details, 'unit "b" already completed; it cannot fail');
});

test("a second Start of a unit whose Start already waits is FAILED_PRECONDITION; the first keeps waiting", async (t) => {
  const { client } = await withAgent(t);
  await client.want({ unit: "ide", dependsOn: ["git-clone"] });
  const first = consume(client.start({ unit: "ide" }));
  await first.received(1);
  const second = await consume(client.start({ unit: "ide" })).ended;
  t.is(second?.code, status.FAILED_PRECONDITION);
  t.is(second?.details, 'unit "ide" is already waiting to start in another call');
  t.false(first.isEnded());
  t.is((await client.getUnit({ unit: "ide" })).unit!.waiting, true);
});

test("limits: an over-long reason is INVALID_ARGUMENT, too many units is RESOURCE_EXHAUSTED", async (t) => {
  const { client } = await withAgent(t, { limits: { units: 3, reasonLength: 10 } });
  await client.want({ unit: "a", dependsOn: ["b"] });
  const reason = await t.throwsAsync<ServiceError>(client.fail({ unit: "a", reason: "x".repeat(11) }));
  t.is(reason.code, status.INVALID_ARGUMENT);
  t.is(reason.details, "reason is 11 characters; the limit is 10");
  t.is((await client.getUnit({ unit: "a" })).unit!.status, UnitStatus.PENDING);

  await client.want({ unit: "c", dependsOn: ["a"] });
  const units = await t.throwsAsync<ServiceError>(client.want({ unit: "d", dependsOn: ["a"] }));
  t.is(units.code, status.RESOURCE_EXHAUSTED);
  t.is(units.details, "the agent holds 3 units; the limit is 3");
  t.deepEqual(
    (await client.listUnits({})).units.map((u) => u.name),
    ["a", "c"],
  );
});
