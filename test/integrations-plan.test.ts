// The integrations that run a declared plan: the Docker entrypoint (`up -f … --then CMD`) for real,
// the devcontainer's postStartCommand and the Coder template's one coder_script naming plans that
// `check` accepts (no Docker, devcontainer CLI or Coder on this machine).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import { tempDir } from "./helpers/agent.js";
import { BIN, ROOT, cli, spawnProcess } from "./helpers/cli.js";

const EXAMPLES = join(ROOT, "examples/integrations");

/** A bin dir with `unitsync` (this checkout's command, or a given shell body). */
function binDir(t: ExecutionContext, unitsync = `exec '${process.execPath}' '${BIN}' "$@"`): string {
  const bin = join(tempDir(t), "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "unitsync"), `#!/bin/sh\n${unitsync}\n`, { mode: 0o755 });
  return bin;
}

test("the Docker entrypoint runs the plan under up -f, then the container's command with up as its parent", async (t) => {
  const dir = tempDir(t);
  const env = {
    PATH: `${binDir(t)}:${process.env.PATH}`,
    UNITSYNC_SOCKET: join(dir, "agent.sock"),
    UNITSYNC_PLAN: join(EXAMPLES, "docker/unitsync.yaml"),
    UNITSYNC_LOG_DIR: join(dir, "logs"),
    WORKSPACE: join(dir, "workspace"),
    NO_COLOR: "1",
  };
  const result = await spawnProcess("sh", [join(EXAMPLES, "docker/entrypoint.sh"), "sh", "-c", 'cat "$WORKSPACE/app.conf"; exit 3'], env).done;
  // up exits with the command's code; the command ran after start-up and saw what the units made.
  t.is(result.code, 3, result.stderr);
  t.regex(result.stdout, /start-up complete in [^]*\ngreeting = hello from unitsync\n/);
  for (const unit of ["workspace", "config", "cache", "ready"]) t.regex(result.stdout, new RegExp(`^${unit}\\s+completed`, "m"));
  t.deepEqual(readdirSync(env.UNITSYNC_LOG_DIR).filter((f) => f !== "agent.log" && f !== "bin").sort(), ["cache.log", "config.log", "ready.log", "workspace.log"]);
  const dockerfile = readFileSync(join(EXAMPLES, "docker/Dockerfile"), "utf8");
  t.regex(dockerfile, /COPY examples\/integrations\/docker\/entrypoint.sh \/usr\/local\/bin\/unitsync-entrypoint/);
  t.regex(dockerfile, /COPY examples\/integrations\/docker\/unitsync.yaml \/etc\/unitsync\/unitsync.yaml/);
  t.regex(dockerfile, /UNITSYNC_PLAN=\/etc\/unitsync\/unitsync.yaml/);
  t.regex(dockerfile, /ENTRYPOINT \["\/usr\/local\/bin\/unitsync-entrypoint"\]/);
});

test("the Docker entrypoint exits 1 and never runs the command when a unit of the plan fails", async (t) => {
  const dir = tempDir(t);
  const plan = join(dir, "unitsync.yaml");
  writeFileSync(plan, 'units:\n  broken: { run: "exit 7" }\n  after-broken: { run: "true", after: [broken] }\n');
  const env = {
    PATH: `${binDir(t)}:${process.env.PATH}`,
    UNITSYNC_SOCKET: join(dir, "agent.sock"),
    UNITSYNC_PLAN: plan,
    UNITSYNC_LOG_DIR: join(dir, "logs"),
  };
  const result = await spawnProcess("sh", [join(EXAMPLES, "docker/entrypoint.sh"), "sh", "-c", "echo the command ran"], env).done;
  t.is(result.code, 1);
  t.false(result.stdout.includes("the command ran"));
  t.regex(result.stdout, /\nstart-up failed\n$/);
});

test("the devcontainer's JSON parses and its postStartCommand runs up -f on a plan that check accepts", async (t) => {
  const folder = join(EXAMPLES, "devcontainer");
  const config = JSON.parse(readFileSync(join(folder, ".devcontainer/devcontainer.json"), "utf8")) as { postStartCommand: string };
  const match = /^unitsync up -f (\S+)/.exec(config.postStartCommand);
  t.truthy(match, config.postStartCommand);
  // postStartCommand runs in the workspace folder.
  const result = await cli(["check", "-f", join(folder, match![1]!)]);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /5 units, no problems/);
});

test("the Coder snippet's one coder_script writes the template's plan and execs up -f on it; check accepts the plan", async (t) => {
  const tf = readFileSync(join(EXAMPLES, "coder/plan.tf"), "utf8");
  const scripts = [...tf.matchAll(/resource "coder_script" "(\w+)" \{[^]*?script\s+=\s+<<-EOT\n([^]*?)\n\s*EOT/g)];
  t.is(scripts.length, 1);
  const planFile = join(EXAMPLES, "coder/unitsync.yaml");
  const checked = await cli(["check", "-f", planFile]);
  t.is(checked.code, 0, checked.stderr);
  // Run the script as Coder would, with Terraform's interpolation done and a unitsync that records its call.
  const dir = tempDir(t);
  const script = scripts[0]![2]!
    .replace(/^ {4}/gm, "")
    .replace('${base64encode(file("${path.module}/unitsync.yaml"))}', readFileSync(planFile).toString("base64"));
  writeFileSync(join(dir, "startup.sh"), script);
  const bin = binDir(t, `printf '%s\\n' "$@" > "${dir}/argv"`);
  const run = spawnSync("sh", [join(dir, "startup.sh")], { env: { PATH: `${bin}:${process.env.PATH}`, HOME: dir }, encoding: "utf8" });
  t.is(run.status, 0, run.stderr);
  const written = join(dir, ".config/unitsync/unitsync.yaml");
  t.is(readFileSync(written, "utf8"), readFileSync(planFile, "utf8"));
  t.deepEqual(readFileSync(join(dir, "argv"), "utf8").trim().split("\n"), ["up", "-f", written, "--log-dir", "/tmp/unitsync-logs"]);
});
