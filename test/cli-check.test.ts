// `unitsync check` and `unitsync graph -f`: exit codes, FILE:LINE:COL lines on stderr, the default
// file, folder headers, and a plan drawn without an agent.
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { tempDir } from "./helpers/agent.js";
import { cli, spawnCli } from "./helpers/cli.js";

const PLAN = 'units:\n  clone: { run: "true" }\n  build: { run: "true", after: [clone] }\n  ide: { run: "sleep 1", after: { build: started }, ready: "tcp:8080" }\n';

test("check: a plan without errors exits 0 and says so on stdout", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "p.yaml"), PLAN);
  const result = await cli(["check", "-f", join(dir, "p.yaml")]);
  t.is(result.code, 0);
  t.is(result.stdout, `${join(dir, "p.yaml")}: 3 units, no problems\n`);
  t.is(result.stderr, "");
});

test("check: every problem on stderr as FILE:LINE:COL, a count, exit 1", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "p.yaml");
  writeFileSync(file, 'units:\n  a: { run: "true", after: [b], retires: 1 }\n  b: { run: "true", after: [a] }\n');
  const result = await cli(["check", "-f", file]);
  t.is(result.code, 1);
  t.is(result.stdout, "");
  t.is(
    result.stderr,
    `${file}:2:29: cycle detected: a -> b -> a; remove one of these dependencies\n` +
      `${file}:2:33: unknown key "retires" in unit "a"; did you mean "retries"?\n` +
      `unitsync: check: ${file}: 2 errors\n`,
  );
});

test("check: warnings alone exit 0", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "p.yaml"), 'units:\n  dotfiles: { external: true }\n  ide: { run: "true", after: [dotfiles] }\n');
  const result = await cli(["check", "-f", join(dir, "p.yaml")]);
  t.is(result.code, 0);
  t.regex(result.stderr, /p\.yaml:3:31: warning: "dotfiles" is external/);
  t.regex(result.stdout, /2 units, 1 warning\n$/);
});

test("check: the default file is ./unitsync.yaml; a missing file is one line, exit 1", async (t) => {
  const dir = tempDir(t);
  const missing = await spawnCli(["check"], {}).done;
  t.is(missing.code, 1);
  t.is(missing.stderr, "unitsync: check: unitsync.yaml: no such file; give the plan with -f FILE\n");
  writeFileSync(join(dir, "unitsync.yaml"), PLAN);
  const { spawnProcess, BIN } = await import("./helpers/cli.js");
  const found = await spawnProcess(process.execPath, [BIN, "check"], {}, dir).done;
  t.is(found.code, 0);
  t.is(found.stdout, "unitsync.yaml: 3 units, no problems\n");
});

test("check --dir: script headers are checked, scripts without one are left alone", async (t) => {
  const dir = tempDir(t);
  const folder = join(dir, "startup");
  mkdirSync(folder);
  const script = (name: string, text: string) => {
    writeFileSync(join(folder, name), text);
    chmodSync(join(folder, name), 0o755);
  };
  script("10-clone.sh", "#!/bin/sh\n# unitsync: retries=2\n");
  script("20-ide.sh", "#!/bin/sh\n# unitsync: after=10-clone ready=tcp:8080 lock=dpkg\n");
  script("30-own.sh", "#!/bin/sh\nunitsync start own\n");
  const ok = await cli(["check", "--dir", folder]);
  t.is(ok.code, 0, ok.stderr);
  t.is(ok.stdout, `${folder}: 2 scripts with a header, no problems\n`);
  script("40-bad.sh", "#!/bin/sh\n# unitsync: ready=tcp: after=10-clone\n");
  const bad = await cli(["check", "--dir", folder]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /40-bad\.sh:2:19: readiness check tcp:: nothing after "tcp:"; write tcp:PORT/);
});

test("graph -f draws a plan without an agent, in each format", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "p.yaml"), PLAN);
  const env = { UNITSYNC_SOCKET: join(dir, "nobody.sock") };
  const json = await cli(["graph", "-f", join(dir, "p.yaml"), "-o", "json"], env);
  t.is(json.code, 0, json.stderr);
  t.deepEqual(JSON.parse(json.stdout), {
    nodes: [
      { unit_name: "clone", status: "planned", is_ready: true },
      { unit_name: "build", status: "planned", is_ready: false },
      { unit_name: "ide", status: "planned", is_ready: false },
    ],
    edges: [
      { unit: "build", depends_on: "clone", required_status: "completed", is_satisfied: false },
      { unit: "ide", depends_on: "build", required_status: "started", is_satisfied: false },
    ],
  });
  const dot = await cli(["graph", "-f", join(dir, "p.yaml")], env);
  t.regex(dot.stdout, /"build" -> "ide" \[label="started", style=dashed\];/);
  const mermaid = await cli(["graph", "-f", join(dir, "p.yaml"), "-o", "mermaid"], env);
  t.regex(mermaid.stdout, /u1 -.->\|started\| u2/);
  writeFileSync(join(dir, "bad.yaml"), "units:\n  a: { run: x, after: [a] }\n");
  const bad = await cli(["graph", "-f", join(dir, "bad.yaml")], env);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /bad\.yaml:2:24: cycle detected: a -> a/);
  t.is(bad.stdout, "");
});

test("the README's check example prints what the README says", async (t) => {
  const { readFileSync } = await import("node:fs");
  const { ROOT } = await import("./helpers/cli.js");
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const match = /For this file:\n\n```yaml\n([^]*?)```\n\nit prints \(stderr\):\n\n```\n([^]*?)```/.exec(readme);
  t.truthy(match, "the example is in the README");
  const dir = tempDir(t);
  writeFileSync(join(dir, "unitsync.yaml"), match![1]!);
  const { spawnProcess, BIN } = await import("./helpers/cli.js");
  const result = await spawnProcess(process.execPath, [BIN, "check"], {}, dir).done;
  t.is(result.code, 1);
  t.is(result.stderr, match![2]!);
});
