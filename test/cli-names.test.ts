// Unit names as coder accepts them — spaces, quotes, brackets, commas, non-ASCII — end to end
// through the CLI, Graphviz, Mermaid and shell completion; bad names and unknown options refused.
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import test, { type ExecutionContext } from "ava";
import { goQuote } from "../src/view/coder-format.js";
import { tempDir, withAgent } from "./helpers/agent.js";
import { BIN, type CliResult, cli, spawnProcess } from "./helpers/cli.js";

const NAMES = ["my app", 'coder_script.startup_unit["health-check"]', "ünïcødé", "a,b/c 'd' (e) [f] {g} <h> & #i"];

async function setup(t: ExecutionContext) {
  const agent = await withAgent(t);
  const run = (argv: string[]): Promise<CliResult> => cli([...argv, "--socket", agent.socketPath]);
  return { ...agent, run };
}

test("coder's names work end to end: want, start, complete, list -o json, status, graph", async (t) => {
  const { run } = await setup(t);
  for (const name of NAMES) {
    const dep = `${name} dep`;
    t.is((await run(["want", name, dep])).stdout, `Unit ${goQuote(name)} declared dependencies: [${dep}]\n`);
    t.is((await run(["start", dep])).code, 0);
    t.is((await run(["complete", dep])).stdout, "Success\n");
    t.is((await run(["start", name])).stdout, `Unit ${goQuote(name)} started immediately, dependencies already satisfied: [${dep}]\n`);
    t.is((await run(["complete", name])).code, 0);
    t.regex((await run(["status", name])).stdout, new RegExp(`^Unit: ${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\nStatus: completed\n`));
  }
  t.is(goQuote(NAMES[1]!), String.raw`"coder_script.startup_unit[\"health-check\"]"`, "quoted as Go's %q quotes");
  const listed = (await run(["list", "-o", "json"])).stdout;
  t.true(listed.includes("\\u003ch\\u003e \\u0026"), "<, > and & escaped as Go's JSON escapes them");
  const names = JSON.parse(listed).map((u: { unit_name: string }) => u.unit_name);
  t.deepEqual([...names].sort(), [...NAMES, ...NAMES.map((n) => `${n} dep`)].sort());

  const dot = await run(["graph", "-o", "dot"]);
  const svg = spawnSync("dot", ["-Tsvg"], { input: dot.stdout, encoding: "utf8" });
  if (svg.error) return t.fail(`cannot run Graphviz "dot": ${svg.error.message}`);
  t.is(svg.status, 0, svg.stderr);
  t.is(svg.stdout.match(/class="node"/g)?.length, NAMES.length * 2);
  t.true(svg.stdout.includes("ünïcødé"));
  t.true(svg.stdout.includes("coder_script.startup_unit[&quot;health&#45;check&quot;]") || svg.stdout.includes('coder_script.startup_unit["health-check"]'), svg.stdout);

  const mermaid = (await run(["graph", "-o", "mermaid"])).stdout;
  t.true(mermaid.includes('["coder_script.startup_unit[#quot;health-check#quot;]<br/>completed"]'), mermaid);
  t.true(mermaid.includes("a,b/c 'd' (e) [f] {g} #lt;h#gt; #amp; #35;i"), mermaid);
  t.notRegex(mermaid.replace(/\["[^"]*"\]/g, ""), /"/, "no quote outside a label");
});

test("empty, newline-containing and over-long names are refused with one clear line and change nothing", async (t) => {
  const { run } = await setup(t);
  t.is((await run(["want", "ok", "dep"])).code, 0);
  const before = (await run(["graph", "-o", "json"])).stdout;
  for (const [argv, message] of [
    [["want", "", "dep"], /^unitsync: want : unit name is empty; a unit name is 1-1024 printable characters/],
    [["want", "a\nb", "dep"], /^unitsync: want a b: invalid unit name "a\\u\{a\}b": control character U\+000A at position 2;/],
    [["want", "ok", "x".repeat(1025)], /is 1025 characters; a unit name is 1-1024/],
    [["start", "tab\there"], /control character U\+0009/],
    [["complete", "x".repeat(1025)], /is 1025 characters/],
  ] as const) {
    const result = await run([...argv]);
    t.is(result.code, 1, result.stderr);
    t.is(result.stdout, "");
    t.regex(result.stderr, message);
    t.regex(result.stderr, /\n$/);
  }
  t.is((await run(["graph", "-o", "json"])).stdout, before);
});

test("an argument that starts with - is an option: want -dash dep is a usage error (exit 2) and registers nothing", async (t) => {
  const { run } = await setup(t);
  for (const argv of [["want", "-dash", "dep"], ["start", "-x"], ["status", "-abc"], ["want", "a", "-dep"]]) {
    const result = await run(argv);
    t.is(result.code, 2, `${argv.join(" ")}: ${result.stdout}`);
    t.is(result.stdout, "");
    t.regex(result.stderr, /^unitsync: (unknown option -\w+; an argument that starts with "-" is an option|Unknown option `-\w+`)/);
    t.regex(result.stderr, /^[^\n]+\n$/, "one line");
  }
  t.is((await run(["list"])).stdout, "No units registered\n");
  // A value that starts with "-" is written --option=value.
  t.is((await run(["fail", "x", "--reason=-because"])).code, 1, "a reason may start with - (x is not found: exit 1)");
});

test("the agent's --max-name sets the name limit", async (t) => {
  const socket = join(tempDir(t), "small.sock");
  const agent = spawnProcess(process.execPath, [BIN, "agent", "--max-name", "8", "--socket", socket]);
  t.teardown(() => void agent.child.kill("SIGKILL"));
  for (let ping = await cli(["ping", "--socket", socket]); ping.code !== 0; ping = await cli(["ping", "--socket", socket])) {
    if (agent.child.exitCode !== null) return t.fail(agent.stderr());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.is((await cli(["start", "12345678", "--socket", socket])).code, 0);
  const refused = await cli(["start", "123456789", "--socket", socket]);
  t.is(refused.code, 1);
  t.regex(refused.stderr, /is 9 characters; a unit name is 1-8 printable characters/);
  t.is((await cli(["agent", "--max-name", "0", "--socket", join(tempDir(t), "x.sock")])).code, 2);
});

test("run --after splits on commas and drops the blanks around names; \\, is a comma inside a name", async (t) => {
  const { run, client } = await setup(t);
  const running = cli(["run", "app", "--socket", client.socketPath, "--after", "db\\,primary, cache", "--", "true"]);
  const until = Date.now() + 50_000; // a bound for a hang only
  while (!(await client.getUnit({ unit: "app" })).unit?.waiting) {
    if (Date.now() > until) return t.fail("app never waited");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  t.deepEqual((await client.getUnit({ unit: "app" })).unit!.dependencies.map((d) => d.dependsOn), ["db,primary", "cache"]);
  for (const unit of ["db,primary", "cache"]) {
    t.is((await run(["start", unit])).code, 0);
    t.is((await run(["complete", unit])).code, 0);
  }
  t.is((await running).code, 0);
  t.regex((await cli(["run", "--help"])).stdout, /write \\, for a comma inside a unit name/);
});

test("bash completion offers names with spaces and quotes whole, shell-quoted", async (t) => {
  const { client, socketPath, dir } = await setup(t);
  await client.want({ unit: "my app", dependsOn: ['say "hi"'] });
  const bin = join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "unitsync"), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o755 });
  const script = (await cli(["completion", "bash"])).stdout;
  const complete = async (cur: string) => {
    const program = `${script}\nCOMP_WORDS=(unitsync status '${cur}'); COMP_CWORD=2; _unitsync; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const { stdout } = await promisify(execFile)("bash", ["--norc", "--noprofile", "-c", program], {
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, UNITSYNC_SOCKET: socketPath },
      encoding: "utf8",
    });
    return stdout.split("\n").filter(Boolean).sort();
  };
  t.deepEqual(await complete(""), ["my\\ app", String.raw`say\ \"hi\"`]);
  t.deepEqual(await complete("my"), ["my\\ app"]);
});
