// The single executable (make sea): every verb, the agent and `up` included, on a PATH with no node.
import { existsSync, mkdirSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { eventually, tempDir } from "./helpers/agent.js";
import { ROOT, spawnProcess } from "./helpers/cli.js";

const SEA = join(ROOT, "dist/sea/unitsync");
const BUNDLE = join(ROOT, "dist/unitsync.cjs");

/** Builds the executable from the current bundle unless an up-to-date one is there. */
async function ensureSea(): Promise<void> {
  if (existsSync(SEA) && statSync(SEA).mtimeMs >= statSync(BUNDLE).mtimeMs) return;
  const built = await spawnProcess("sh", [join(ROOT, "scripts/build-sea.sh")]).done;
  if (built.code !== 0) throw new Error(`make sea failed: ${built.stderr}${built.stdout}`);
}

test("the single executable runs every verb, the agent and up included, with no node on PATH", async (t) => {
  t.timeout(180_000);
  await ensureSea();
  const dir = tempDir(t);
  // A PATH with a shell and nothing else: node lives in /usr/bin, so neither /usr/bin nor /bin is on it.
  const tools = join(dir, "tools");
  mkdirSync(tools);
  symlinkSync("/bin/sh", join(tools, "sh"));
  const socket = join(dir, "a.sock");
  const env = { PATH: tools, HOME: dir, UNITSYNC_SOCKET: socket, NODE_OPTIONS: undefined, NODE_PATH: undefined };
  const noNode = await spawnProcess("/bin/sh", ["-c", "command -v node"], env).done;
  t.not(noNode.code, 0, `node is still on PATH: ${noNode.stdout}`);

  const sea = (...args: string[]) => spawnProcess(SEA, args, env);
  const ok = async (args: string[], pattern?: RegExp) => {
    const result = await sea(...args).done;
    t.is(result.code, 0, `unitsync ${args.join(" ")}: ${result.stderr}`);
    if (pattern) t.regex(result.stdout, pattern, `unitsync ${args.join(" ")}`);
    return result;
  };

  await ok(["--version"], /0\.1\.0/);
  await ok(["start", "--help"], /Examples/);
  const unreachable = await sea("ping").done;
  t.is(unreachable.code, 3);
  t.regex(unreachable.stderr, /no agent answers/);

  const agent = sea("agent");
  t.teardown(() => agent.child.kill("SIGKILL"));
  await eventually(() => agent.stderr().includes("serving on"), "the agent to serve", 45_000);
  await ok(["ping"], /^Success\n/);

  // The standard services come from protos embedded in the executable.
  const services = await spawnProcess(join(ROOT, "node_modules/.bin/buf"), [
    "curl", "--protocol", "grpc", "--http2-prior-knowledge", "--unix-socket", socket, "--list-services", "http://localhost",
  ]).done;
  t.is(services.code, 0, services.stderr);
  t.true(services.stdout.includes("unitsync.v1.UnitSyncService"));

  await ok(["want", "app", "db"], /Unit "app" declared dependencies: \[db\]/);
  const watch = sea("watch", "-o", "json");
  const waiting = sea("start", "app");
  await eventually(() => /db/.test(waiting.stdout()), "start app to say it waits for db", 45_000);
  await ok(["start", "db"]);
  await ok(["complete", "db"]);
  const started = await waiting.done;
  t.is(started.code, 0, started.stderr);
  await ok(["complete", "app"]);
  const status = JSON.parse((await ok(["status", "app", "-o", "json"])).stdout);
  t.is(status.status, "completed");

  const run = await sea("run", "report", "--after", "app", "--", "/bin/sh", "-c", "exit 3").done;
  t.is(run.code, 3, run.stderr);
  await ok(["want", "cleanup", "report"]);
  await ok(["fail", "cleanup", "--reason", "not needed"]);
  const list = JSON.parse((await ok(["list", "-o", "json"])).stdout) as { unit_name: string; status: string }[];
  t.deepEqual(
    Object.fromEntries(list.map((u) => [u.unit_name, u.status])),
    { app: "completed", cleanup: "failed", db: "completed", report: "failed" },
  );
  await ok(["timeline", "-o", "json"], /"critical_chain"/);
  await ok(["graph", "-o", "mermaid"], /db/);
  await ok(["completion", "bash"], /complete -F/);

  agent.child.kill("SIGTERM");
  t.is((await agent.done).code, 0);
  const watched = await watch.done; // a watch outlives nothing: the agent's shutdown ends it
  t.regex(watched.stdout, /"snapshot"/);
  t.regex(watched.stderr, /the agent shut down/);

  // `up` puts this very executable on the scripts' PATH as `unitsync`.
  const scripts = join(dir, "startup.d");
  mkdirSync(scripts);
  writeFileSync(join(scripts, "10-db"), "#!/bin/sh\nexec unitsync run db -- /bin/sh -c 'echo db ready'\n", { mode: 0o755 });
  writeFileSync(join(scripts, "20-app"), "#!/bin/sh\nexec unitsync run app --after db -- /bin/sh -c 'echo app up'\n", { mode: 0o755 });
  const up = await spawnProcess(SEA, ["up", "--dir", scripts, "--log-dir", join(dir, "logs")], { ...env, UNITSYNC_SOCKET: join(dir, "up.sock") })
    .done;
  t.is(up.code, 0, up.stderr + up.stdout);
  t.regex(up.stdout + up.stderr, /app/);

  // `check` runs the plan reader's bundle, an asset of the executable too.
  const plan = join(dir, "unitsync.yaml");
  writeFileSync(plan, "units:\n  db:\n    run: \"true\"\n  app:\n    after: [db]\n    run: \"true\"\n");
  const checked = await spawnProcess(SEA, ["check", "-f", plan], env).done;
  t.is(checked.code, 0, checked.stderr);
  t.regex(checked.stdout, /2 units, no problems/);
});
