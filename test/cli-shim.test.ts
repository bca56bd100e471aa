// `unitsync shim coder`: installed as `coder` on PATH, coder's documented production-ready script
// runs literally unchanged against unitsync; other coder commands reach the real coder, or 127.
import { existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import test, { type ExecutionContext } from "ava";
import { tempDir } from "./helpers/agent.js";
import { withAgentProcess } from "./helpers/agent-process.js";
import { BIN, cli, spawnProcess } from "./helpers/cli.js";

// Verbatim from coder's docs, admin/templates/startup-coordination/example.md ("Script Example").
const PRODUCTION_READY = `#!/bin/bash
set -euo pipefail

UNIT_NAME="claude-code"
DEPENDENCIES="git-clone"
REPO_DIR="/workspace/repo"

# Track if sync started successfully
SYNC_STARTED=0

# Declare dependencies
if [ -n "$DEPENDENCIES" ]; then
  if command -v coder > /dev/null 2>&1; then
    IFS=',' read -ra DEPS <<< "$DEPENDENCIES"
    for dep in "\${DEPS[@]}"; do
      dep=$(echo "$dep" | xargs)
      if [ -n "$dep" ]; then
        echo "Waiting for dependency: $dep"
        coder exp sync want "$UNIT_NAME" "$dep" > /dev/null 2>&1 || \\
          echo "Warning: Failed to register dependency $dep, continuing..."
      fi
    done
  else
    echo "Coder CLI not found, running without sync coordination"
  fi
fi

# Start sync and track success
if [ -n "$UNIT_NAME" ]; then
  if command -v coder > /dev/null 2>&1; then
    if coder exp sync start "$UNIT_NAME" > /dev/null 2>&1; then
      SYNC_STARTED=1
      echo "Started sync: $UNIT_NAME"
    else
      echo "Sync start failed or not available, continuing without sync..."
    fi
  fi
fi

# Ensure completion on exit (even if script fails)
cleanup_sync() {
  if [ "$SYNC_STARTED" -eq 1 ] && [ -n "$UNIT_NAME" ]; then
    echo "Completing sync: $UNIT_NAME"
    coder exp sync complete "$UNIT_NAME" > /dev/null 2>&1 || \\
      echo "Warning: Sync complete failed, but continuing..."
  fi
}
trap cleanup_sync EXIT

# Now do the actual work
echo "Repository cloned, starting Claude Code"
cd "$REPO_DIR"
claude
`;

/** A bin dir with the shim as `coder` and `unitsync` (plus whatever extra commands). */
async function shimBin(t: ExecutionContext, extra: Record<string, string> = {}): Promise<string> {
  const bin = join(tempDir(t), "bin");
  mkdirSync(bin);
  const shim = await cli(["shim", "coder"]);
  t.is(shim.code, 0);
  writeFileSync(join(bin, "coder"), shim.stdout, { mode: 0o755 });
  symlinkSync(BIN, join(bin, "unitsync"));
  for (const [name, body] of Object.entries(extra)) writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return bin;
}

const pathWith = (...dirs: string[]) => [...dirs, dirname(process.execPath), process.env.PATH ?? ""].join(delimiter);

/** /workspace/repo, as the script has it; created for the test and removed after, if it was not there. */
function workspaceRepo(t: ExecutionContext): void {
  const created = ["/workspace", "/workspace/repo"].filter((dir) => !existsSync(dir));
  mkdirSync("/workspace/repo", { recursive: true });
  t.teardown(() => {
    for (const dir of created.reverse()) rmSync(dir, { recursive: true, force: true });
  });
}

test("coder's production-ready example runs unchanged with the shim as coder: in order, and its unit ends completed", async (t) => {
  const agent = await withAgentProcess(t);
  workspaceRepo(t);
  const marker = join(agent.dir, "claude-ran");
  const bin = await shimBin(t, { claude: `pwd > '${marker}'` });
  const script = join(agent.dir, "claude-code.sh");
  writeFileSync(script, PRODUCTION_READY, { mode: 0o755 });
  const run = spawnProcess(script, [], { PATH: pathWith(bin), CODER_AGENT_SOCKET_PATH: agent.socketPath });
  const until = Date.now() + 50_000; // a bound for a hang only
  while (!(await agent.client.getUnit({ unit: "claude-code" })).unit?.waiting) {
    if (Date.now() > until || run.child.exitCode !== null) return t.fail(`never waited: ${run.stdout()} ${run.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.false(existsSync(marker), "claude did not run before git-clone completed");
  t.is((await agent.run(["start", "git-clone"])).code, 0);
  t.is((await agent.run(["complete", "git-clone"])).code, 0);
  const { code, stdout, stderr } = await run.done;
  t.is(code, 0, stderr);
  t.is(
    stdout,
    "Waiting for dependency: git-clone\nStarted sync: claude-code\nRepository cloned, starting Claude Code\nCompleting sync: claude-code\n",
  );
  t.is(stderr, "");
  t.true(existsSync(marker), "claude ran");
  const status = JSON.parse((await agent.run(["status", "claude-code", "-o", "json"])).stdout);
  t.is(status.status, "completed");
  t.deepEqual(status.dependencies.map((d: { depends_on: string }) => d.depends_on), ["git-clone"]);
});

test("other coder commands go to the real coder further down PATH; with none, coder is not installed (127)", async (t) => {
  const bin = await shimBin(t);
  const realDir = join(tempDir(t), "real");
  mkdirSync(realDir);
  writeFileSync(join(realDir, "coder"), '#!/bin/sh\necho "real coder: $*"\n', { mode: 0o755 });
  // A second copy of the shim between them is skipped, not run in a loop.
  const copyDir = join(tempDir(t), "copy");
  mkdirSync(copyDir);
  writeFileSync(join(copyDir, "coder"), (await cli(["shim", "coder"])).stdout, { mode: 0o755 });

  const real = await spawnProcess("coder", ["version", "--output", "json"], { PATH: pathWith(bin, copyDir, realDir) }).done;
  t.is(real.code, 0, real.stderr);
  t.is(real.stdout, "real coder: version --output json\n");

  const none = await spawnProcess("coder", ["login"], { PATH: pathWith(bin, copyDir) }).done;
  t.is(none.code, 127);
  t.regex(none.stderr, /^coder: not installed; this coder is unitsync's shim and runs only "coder exp sync \.\.\."\n$/);

  const sync = await spawnProcess("coder", ["exp", "sync", "ping", "--socket-path", join(bin, "none.sock")], { PATH: pathWith(bin, realDir) }).done;
  t.is(sync.code, 3, "exp sync went to unitsync, which found no agent");
  t.regex(sync.stderr, /^unitsync: ping: no agent answers on /);
});

test("shim of anything but coder is a usage error", async (t) => {
  const result = await cli(["shim", "docker"]);
  t.is(result.code, 2);
  t.is(result.stderr, "unitsync: shim docker: unknown shim; the one there is: coder\n");
});
