// The integration examples, run where they can run here: the systemd units through
// systemd-analyze, the Kubernetes pod's wiring, and the Coder template's scripts in parallel as Coder runs them (no Docker, kubelet or Coder on this machine).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import { eventually, tempDir } from "./helpers/agent.js";
import { BIN, ROOT, spawnProcess } from "./helpers/cli.js";
import { groupGone } from "./helpers/process-groups.js";

const EXAMPLES = join(ROOT, "examples/integrations");

/** A bin dir with `unitsync` (this checkout's command) and any fake tools given as shell bodies. */
function binDir(t: ExecutionContext, tools: Record<string, string> = {}): string {
  const bin = join(tempDir(t), "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "unitsync"), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o755 });
  for (const [name, body] of Object.entries(tools)) writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return bin;
}

// The Docker entrypoint (a plan run with `up -f … --then`) is tested in integrations-plan.test.ts.

const SYSTEMD_ANALYZE = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find((path) => existsSync(path));

(SYSTEMD_ANALYZE ? test : test.skip)(
  `the systemd units pass systemd-analyze verify${SYSTEMD_ANALYZE ? "" : " (skipped: systemd-analyze is not installed)"}`,
  (t) => {
    // As installed, with ExecStart pointing at this checkout's command (verify checks it exists).
    const dir = tempDir(t);
    const units = ["unitsync-agent.service", "workspace-ide.service"];
    for (const unit of units) {
      const text = readFileSync(join(EXAMPLES, "systemd", unit), "utf8");
      t.true(text.includes("/usr/local/bin/unitsync"), unit);
      writeFileSync(join(dir, unit), text.replaceAll("/usr/local/bin/unitsync", BIN));
    }
    const verify = spawnSync(SYSTEMD_ANALYZE!, ["verify", "--man=no", ...units.map((u) => join(dir, u))], { encoding: "utf8", cwd: dir });
    t.is(verify.status, 0, verify.stderr);
    t.is(verify.stderr.trim(), "", "no warnings"); // verify exits 0 on settings it ignores
    const agent = readFileSync(join(dir, units[0]!), "utf8");
    t.regex(agent, /^RuntimeDirectory=unitsync$/m);
    t.regex(agent, /^Environment=UNITSYNC_SOCKET=%t\/unitsync\/unitsync.sock$/m);
  },
);

test("the agent unit counts as started only once the agent answers (its ExecStartPost)", async (t) => {
  const text = readFileSync(join(EXAMPLES, "systemd/unitsync-agent.service"), "utf8");
  const post = /^ExecStartPost=\/bin\/sh -c '(.*)'$/m.exec(text)![1]!.replaceAll("/usr/local/bin/unitsync", `'${process.execPath}' '${BIN}'`);
  const socket = join(tempDir(t), "agent.sock");
  const env = { UNITSYNC_SOCKET: socket };
  const ready = spawnProcess("sh", ["-c", post], env);
  let readyExited = false;
  void ready.done.then(() => (readyExited = true));
  // No agent yet: it keeps waiting (it has already asked at least once by now).
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  t.false(readyExited);
  const agent = spawnProcess(process.execPath, [BIN, "agent"], env);
  t.teardown(() => agent.child.kill("SIGKILL"));
  t.is((await ready.done).code, 0);
  agent.child.kill("SIGTERM");
  t.is((await agent.done).code, 0);
});

interface Pod {
  spec: {
    restartPolicy?: string;
    volumes: { name: string; emptyDir?: object }[];
    initContainers: Container[];
    containers: Container[];
  };
}
interface Container {
  name: string;
  restartPolicy?: string;
  command: string[];
  env?: { name: string; value: string }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

test("the Kubernetes pod shares the agent's socket with every container through an emptyDir", async (t) => {
  const { load } = createRequire(import.meta.url)("js-yaml") as { load(text: string): unknown };
  const pod = load(readFileSync(join(EXAMPLES, "kubernetes/pod.yaml"), "utf8")) as Pod;
  const volume = pod.spec.volumes.find((v) => v.name === "unitsync-socket");
  t.truthy(volume?.emptyDir, "the socket lives in an emptyDir");

  const agent = pod.spec.initContainers.find((c) => c.command.includes("agent"))!;
  t.is(agent.restartPolicy, "Always", "the agent is a sidecar that starts first and keeps running");
  const socketOf = (c: Container) => c.env?.find((e) => e.name === "UNITSYNC_SOCKET")?.value;
  const mountOf = (c: Container) => c.volumeMounts?.find((m) => m.name === "unitsync-socket")?.mountPath;
  const socket = socketOf(agent)!;
  t.is(mountOf(agent), socket.slice(0, socket.lastIndexOf("/")));

  const units = new Map<string, string[]>(); // unit → its --after
  for (const container of pod.spec.containers) {
    t.is(socketOf(container), socket, `${container.name} uses the agent's socket`);
    t.is(mountOf(container), mountOf(agent), `${container.name} mounts the socket volume where the agent does`);
    const [command, verb, unit, ...rest] = container.command;
    t.regex(command!, /unitsync$/, container.name);
    t.is(verb, "run", container.name);
    const after = rest.indexOf("--after");
    units.set(unit!, after >= 0 ? rest[after + 1]!.split(",") : []);
  }
  for (const [unit, after] of units) for (const dependency of after) t.true(units.has(dependency), `${unit} waits for ${dependency}, which a container runs`);
  t.is(pod.spec.restartPolicy, "OnFailure", "a container whose unit completed stays done");
});

function tryKill(pid: number): void {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    // already gone
  }
}

/**
 * Stops the process group `pgid` and resolves once it is gone: the agent in it writes its journal
 * and code cache as it exits, and the test's directory must not be removed under it. SIGKILL
 * after 30 s, for an agent that never stops.
 */
async function stopGroup(pgid: number): Promise<void> {
  tryKill(-pgid);
  const started = Date.now();
  while (!groupGone(pgid)) {
    if (Date.now() - started > 30_000) {
      try {
        process.kill(-pgid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The scripts of main.tf's coder_script resources, with the template's locals filled in. */
function coderScripts(): Map<string, string> {
  const tf = readFileSync(join(EXAMPLES, "coder/main.tf"), "utf8");
  const locals = new Map([...tf.matchAll(/^\s+(\w+)\s*=\s*"((?:[^"\\]|\\.)*)"$/gm)].map((m) => [m[1]!, m[2]!.replace(/\\"/g, '"')]));
  const scripts = new Map<string, string>();
  for (const m of tf.matchAll(/resource "coder_script" "(\w+)" \{[^]*?script\s+=\s+<<-EOT\n([^]*?)\n\s*EOT/g)) {
    const body = m[2]!.replace(/^ {4}/gm, "").replace(/\$\{local\.(\w+)\}/g, (_, name: string) => locals.get(name)!);
    scripts.set(m[1]!, body + "\n");
  }
  return scripts;
}

test("the Coder template's scripts, started all at once as Coder does, run in dependency order", async (t) => {
  const scripts = coderScripts();
  t.deepEqual([...scripts.keys()], ["unitsync_agent", "git_clone", "dependencies", "code_server"]);
  const dir = tempDir(t);
  const log = join(dir, "order.log");
  // Stand-ins for git, npm and code-server that record when they ran.
  const bin = binDir(t, {
    git: `mkdir -p "$5" && echo git-clone >> '${log}'`,
    npm: `test -d "$HOME/app" && echo dependencies >> '${log}'`,
    "code-server": `echo ide >> '${log}'`,
  });
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    HOME: dir,
    UNITSYNC_SOCKET: join(dir, "unitsync.sock"),
    // The CLI's code cache stays where it was: the agent writes it as it exits, after this test.
    UNITSYNC_CACHE_DIR: join(homedir(), ".cache", "unitsync"),
    NODE_EXTRA_CA_CERTS: undefined,
  };
  // The agent script leaves its agent running (nohup ... &): it runs in a process group of its own,
  // which the agent inherits, so the teardown stops that group by its id.
  const runs = [...scripts].reverse().map(([name, script]) => {
    writeFileSync(join(dir, `${name}.sh`), script, { mode: 0o755 });
    const child = spawn("sh", [join(dir, `${name}.sh`)], { env, stdio: "ignore", detached: name === "unitsync_agent" });
    if (name === "unitsync_agent") t.teardown(() => stopGroup(child.pid!));
    return { name, done: new Promise<number>((resolve) => child.once("close", (code) => resolve(code ?? 1))) };
  });
  for (const run of runs) t.is(await run.done, 0, `${run.name} failed`);
  await eventually(() => existsSync(log) && readFileSync(log, "utf8").includes("ide"), "code-server to start", 45_000);
  t.deepEqual(readFileSync(log, "utf8").trim().split("\n"), ["git-clone", "dependencies", "ide"]);
  for (const script of scripts.values()) t.is(spawnSync("sh", ["-n"], { input: script }).status, 0);
});
