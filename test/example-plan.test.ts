// The README's first command: `up -f examples/unitsync.yaml` (make up) — parallel roots, the dpkg
// lock, services released at ready, the retried flaky step, and with DEMO_FAILURE only the failed
// step's dependents not run. Order from the agent's timeline; the lock from the installs' record.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { UnitSyncService } from "../gen/unitsync/v1/unitsync_pb.js";
import { statusName } from "../src/rpc/enums.js";
import { withAgent } from "./helpers/agent.js";
import { ROOT, cli } from "./helpers/cli.js";

const PLAN = join(ROOT, "examples/unitsync.yaml");
/** The example holds two installs on the dpkg lock: it runs as written only where locks exist. */
const LOCKS = UnitSyncService.methods.some((m) => m.name === "AcquireLocks");

test("check accepts the example plan", async (t) => {
  const result = await cli(["check", "-f", PLAN]);
  t.is(result.code, 0, result.stderr);
  t.is(result.stderr, "");
});

async function runExample(t: Parameters<typeof withAgent>[0], env: Record<string, string> = {}) {
  const { socketPath, client, dir } = await withAgent(t);
  const workspace = join(dir, "workspace");
  const result = await cli(["up", "-f", PLAN, "--socket", socketPath, "--log-dir", join(dir, "logs"), "--then", "sh", join(ROOT, "examples/plan/smoke.sh")], {
    HOME: dir,
    XDG_RUNTIME_DIR: dir,
    WORKSPACE: workspace,
    NO_COLOR: "1",
    ...env,
  });
  const { entries } = await client.getTimeline({});
  const timeline = new Map(
    entries.map((e) => [e.unit, { status: statusName(e.status), reason: e.reason, started: e.startedAt && timestampMs(e.startedAt), finished: e.finishedAt && timestampMs(e.finishedAt) }]),
  );
  return { result, timeline, workspace, logs: join(dir, "logs") };
}

(LOCKS ? test : test.skip)(`make up: the example plan runs in order, the installs hold dpkg one at a time, exit 0${LOCKS ? "" : " (skipped: no locks in this build)"}`, async (t) => {
  const { result, timeline, workspace, logs } = await runExample(t);
  t.is(result.code, 0, result.stderr + result.stdout);
  t.is(result.stdout.match(/start-up complete in /g)?.length, 1);
  for (const [unit, entry] of timeline) t.is(entry.status, "completed", unit);
  const plan = { deps: [["deps-install", "git-clone"], ["db", "env-setup"], ["ide", "git-clone"], ["ide", "env-setup"], ["ide", "apt-tools"], ["migrate", "deps-install"], ["migrate", "db"], ["lint-config", "git-clone"], ["lint-report", "lint-config"], ["workspace-ready", "migrate"], ["workspace-ready", "ide"], ["workspace-ready", "apt-build"], ["workspace-ready", "lint-report"]] };
  for (const [unit, dep] of plan.deps) t.true(timeline.get(unit!)!.started! >= timeline.get(dep!)!.finished!, `${unit} after ${dep}`);
  // The installs' own record: never two at once.
  const history = readFileSync(join(workspace, "dpkg.history"), "utf8").trim().split("\n").map((l) => l.split(" ")[0]);
  t.deepEqual(history, ["begin", "end", "begin", "end"]);
  // The flaky step failed once and was retried.
  t.is(readFileSync(join(workspace, "deps-install.attempts"), "utf8"), "x\nx\n");
  t.regex(readFileSync(join(logs, "deps-install.log"), "utf8"), /dependencies installed on attempt 2/);
  // up exits with --then's code: the smoke check (examples/plan/smoke.sh) reached both services.
});

(LOCKS ? test : test.skip)(`make up-failure: lint-config fails, only lint-report is not run, exit 1${LOCKS ? "" : " (skipped: no locks in this build)"}`, async (t) => {
  const { result, timeline } = await runExample(t, { DEMO_FAILURE: "1" });
  t.is(result.code, 1, result.stderr);
  t.regex(result.stdout, /\nstart-up failed\n$/);
  t.is(timeline.get("lint-config")!.status, "failed");
  t.is(timeline.get("lint-report")!.status, "failed");
  t.regex(timeline.get("lint-report")!.reason, /^not run: /);
  t.is(timeline.get("lint-report")!.started, undefined);
  for (const unit of ["git-clone", "env-setup", "apt-tools", "apt-build", "deps-install", "db", "ide", "migrate", "workspace-ready"]) {
    t.is(timeline.get(unit)!.status, "completed", unit);
  }
});
