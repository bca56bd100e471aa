// `unitsync timeline` over a diamond of real `unitsync run … -- sleep` processes: waits, runs and the critical chain.
import test from "ava";
import { eventually, withAgent } from "./helpers/agent.js";
import { cli, spawnCli } from "./helpers/cli.js";

/**
 * a; b and c after a (c runs longer); d after b and c. b, c and d are waiting before a starts, so
 * every unit was held by its dependencies and the chain that decided the end is a → c → d.
 */
async function diamond(t: Parameters<typeof withAgent>[0]) {
  const agentAndClient = await withAgent(t);
  const { agent, socketPath } = agentAndClient;
  const env = { UNITSYNC_SOCKET: socketPath };
  const waiting = [
    spawnCli(["run", "b", "--after", "a", "--", "sleep", "0.2"], env),
    spawnCli(["run", "c", "--after", "a", "--", "sleep", "1.5"], env),
    spawnCli(["run", "d", "--after", "b,c", "--", "sleep", "0.2"], env),
  ];
  for (const name of ["b", "c", "d"]) await eventually(() => agent.registry.get(name).waiting, `${name} to wait`, 45_000);
  const results = await Promise.all([spawnCli(["run", "a", "--", "sleep", "0.3"], env).done, ...waiting.map((p) => p.done)]);
  for (const result of results) t.is(result.code, 0, result.stderr);
  return agentAndClient;
}

test("timeline -o json names the critical chain a → c → d and gives each unit's wait and run", async (t) => {
  const { socketPath } = await diamond(t);
  const result = await cli(["timeline", "-o", "json", "--socket", socketPath]);
  t.is(result.code, 0, result.stderr);
  const timeline = JSON.parse(result.stdout);
  t.deepEqual(timeline.critical_chain, ["a", "c", "d"]);
  t.is(timeline.dropped_events, 0);
  t.false(Number.isNaN(Date.parse(timeline.origin)));
  const rows = new Map<string, any>(timeline.units.map((row: any) => [row.unit, row]));
  t.deepEqual([...rows.keys()].sort(), ["a", "b", "c", "d"]);
  for (const [name, row] of rows) {
    t.is(row.status, "completed", name);
    for (const field of ["registered_ms", "start_requested_ms", "started_ms", "finished_ms", "waited_ms", "ran_ms"]) {
      t.is(typeof row[field], "number", `${name}.${field}`);
    }
    t.is(row.waited_ms, row.started_ms - row.start_requested_ms, `${name}: waited is start requested → started`);
    t.is(row.ran_ms, row.finished_ms - row.started_ms, `${name}: ran is started → finished`);
  }
  const [a, b, c, d] = ["a", "b", "c", "d"].map((name) => rows.get(name));
  t.true(c.ran_ms >= 1_500, "c ran at least as long as its sleep");
  t.true(b.started_ms >= a.finished_ms && c.started_ms >= a.finished_ms, "b and c started after a finished");
  t.true(d.started_ms >= c.finished_ms && d.started_ms >= b.finished_ms, "d started after b and c finished");
  t.true(c.finished_ms > b.finished_ms, "c finished last of b and c");
  t.true(d.waited_ms >= a.ran_ms + c.ran_ms, "d waited through a's and c's runs");
});

test("timeline prints a table of every unit and the critical chain section", async (t) => {
  const { socketPath } = await diamond(t);
  const result = await cli(["timeline", "--socket", socketPath]);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^UNIT\s+STATUS\s+REGISTERED\s+STARTED\s+WAITED\s+RAN\s+OUTCOME$/m);
  for (const name of ["a", "b", "c", "d"]) {
    t.regex(result.stdout, new RegExp(`^${name}\\s+completed\\s+\\+\\d\\S*\\s+\\+\\d\\S*\\s+\\d\\S*\\s+\\d\\S*\\s+ok$`, "m"), name);
  }
  t.regex(result.stdout, /\nCritical chain [^\n]*:\na @\S+ \+\S+\n└─c @\S+ \+\S+\n  └─d @\S+ \+\S+\n$/);
  // Rows in the order units started (b registered first, a started first), as the picture draws them.
  const order = result.stdout.split("\n\n")[0]!.split("\n").slice(1).map((line) => line.split(/\s+/)[0]);
  t.is(order[0], "a");
  t.is(order[3], "d");
});

test("timeline with no units says so", async (t) => {
  const { socketPath } = await withAgent(t);
  const table = await cli(["timeline", "--socket", socketPath]);
  t.is(table.code, 0);
  t.is(table.stdout, "No units registered\n");
  const json = JSON.parse((await cli(["timeline", "-o", "json", "--socket", socketPath])).stdout);
  t.deepEqual(json, { origin: null, units: [], critical_chain: [], dropped_events: 0 });
});

test("timeline of a failed unit shows its reason and a dependent never run", async (t) => {
  const { socketPath } = await withAgent(t);
  const env = { UNITSYNC_SOCKET: socketPath };
  t.is((await spawnCli(["run", "fetch", "--", "sh", "-c", "exit 3"], env).done).code, 3);
  t.is((await spawnCli(["run", "build", "--after", "fetch", "--", "true"], env).done).code, 5);
  const json = JSON.parse((await cli(["timeline", "-o", "json", "--socket", socketPath])).stdout);
  const rows = new Map<string, any>(json.units.map((row: any) => [row.unit, row]));
  t.is(rows.get("fetch").status, "failed");
  t.is(rows.get("fetch").reason, "exit status 3");
  t.is(typeof rows.get("fetch").ran_ms, "number");
  t.is(rows.get("build").status, "failed");
  t.is(rows.get("build").started_ms, null, "build never started");
  t.is(rows.get("build").ran_ms, null);
  const table = (await cli(["timeline", "--socket", socketPath])).stdout;
  t.regex(table, /^fetch\s+failed\s+.*exit status 3$/m);
  t.regex(table, /^build\s+failed\s+\+\S+\s+-\s+-\s+-\s+not run: dependency "fetch" failed/m);
  t.regex(table, /\nCritical chain [^\n]*:\nfetch @\S+ \+\S+\n$/, "the chain ends at the unit that ran last, not at one that never ran");
});
