// CLI polish: every verb's --help shows an example, bash and zsh completion scripts load and
// complete, NO_COLOR turns colour off on a terminal, and every table verb speaks JSON.
import { execFile, spawnSync } from "node:child_process";
import { EventEmitter } from "node:events";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import test from "ava";
import { main } from "../src/cli/main.js";
import { eventually, tempDir, withAgent } from "./helpers/agent.js";
import { BIN, cli } from "./helpers/cli.js";

const execFileAsync = promisify(execFile);

/** The verbs `unitsync --help` lists. */
async function verbs(): Promise<string[]> {
  const help = (await cli(["--help"])).stdout;
  const section = help.split("Commands:\n")[1]!.split("\n\n")[0]!;
  return section.split("\n").map((line) => line.trim().split(/\s+/)[0]!);
}

test("every verb's --help exits 0 and shows a runnable example", async (t) => {
  const names = await verbs();
  t.true(names.length >= 14, names.join(" "));
  for (const verb of names) {
    const help = await cli([verb, "--help"]);
    t.is(help.code, 0, verb);
    const examples = help.stdout.split("Examples:\n")[1] ?? "";
    t.regex(examples, new RegExp(`unitsync ${verb}\\b`), `${verb} --help has no example`);
  }
});

/**
 * Runs the bash completion function for the words of a command line (the last one is completed)
 * in a child bash, asynchronously: the agent it may ask lives in this process.
 */
async function completeInBash(script: string, words: string[], env: Record<string, string> = {}): Promise<string[]> {
  const line = words.map((w) => `'${w}'`).join(" ");
  const program = `${script}\nCOMP_WORDS=(${line}); COMP_CWORD=${words.length - 1}; _unitsync; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const { stdout } = await execFileAsync("bash", ["--norc", "--noprofile", "-c", program], { env: { ...process.env, ...env }, encoding: "utf8" });
  return stdout.split("\n").filter(Boolean).sort();
}

test("bash completion is valid bash and completes verbs, options, their values and unit names", async (t) => {
  const generated = await cli(["completion", "bash"]);
  t.is(generated.code, 0);
  const script = generated.stdout;
  const syntax = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
  t.is(syntax.status, 0, syntax.stderr);

  t.deepEqual(await completeInBash(script, ["unitsync", "st"]), ["start", "status"]);
  t.deepEqual(await completeInBash(script, ["unitsync", "co"]), ["complete", "completion"]);
  t.deepEqual(await completeInBash(script, ["unitsync", "list", "--o"]), ["--output"]);
  t.deepEqual(await completeInBash(script, ["unitsync", "run", "ide", "--a"]), ["--after"]);
  t.true((await completeInBash(script, ["unitsync", "run", "ide", "--", "bas"])).includes("bash"), "after --, the command to run");
  t.deepEqual(await completeInBash(script, ["unitsync", "graph", "-o", ""]), ["dot", "json", "mermaid"]);
  t.deepEqual(await completeInBash(script, ["unitsync", "--socket", "/tmp/x.sock", "timeline", "-o", ""]), ["html", "json", "otlp-json", "svg", "table"]);
  t.deepEqual(await completeInBash(script, ["unitsync", "completion", ""]), ["bash", "zsh"]);
  t.deepEqual(await completeInBash(script, ["unitsync", "want", "ide", "--on", "s"]), ["started"]);

  // Unit names come from the agent that UNITSYNC_SOCKET points at, through the unitsync on PATH.
  const { client, socketPath, dir } = await withAgent(t);
  await client.want({ unit: "ide", dependsOn: ["git-clone", "env-setup"] });
  const bin = join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "unitsync"), `#!/bin/sh\nexec '${process.execPath}' '${BIN}' "$@"\n`, { mode: 0o755 });
  const env = { PATH: `${bin}:${process.env.PATH}`, UNITSYNC_SOCKET: socketPath };
  t.deepEqual(await completeInBash(script, ["unitsync", "status", ""], env), ["env-setup", "git-clone", "ide"]);
  t.deepEqual(await completeInBash(script, ["unitsync", "run", "x", "--after", "g"], env), ["git-clone"]);
  // No agent: no names, and no error on the terminal.
  t.deepEqual(await completeInBash(script, ["unitsync", "start", ""], { ...env, UNITSYNC_SOCKET: join(dir, "none.sock") }), []);
});

const ZSH = ["/usr/bin/zsh", "/bin/zsh"].find((path) => existsSync(path));

(ZSH ? test : test.skip)(`zsh completion is valid zsh and registers for unitsync${ZSH ? "" : " (skipped: zsh is not installed)"}`, async (t) => {
  const dir = tempDir(t);
  const script = join(dir, "_unitsync");
  writeFileSync(script, (await cli(["completion", "zsh"])).stdout);
  const syntax = spawnSync(ZSH!, ["-n", script], { encoding: "utf8" });
  t.is(syntax.status, 0, syntax.stderr);
  // Sourced after compinit, as the script's header says: unitsync is bound to _unitsync.
  const loaded = spawnSync(ZSH!, ["-f", "-c", `autoload -U compinit && compinit -u -d ${dir}/zcompdump && source ${script} && print -r -- $_comps[unitsync]`], {
    encoding: "utf8",
    env: { ...process.env, HOME: dir },
  });
  t.is(loaded.status, 0, loaded.stderr);
  t.is(loaded.stdout.trim(), "_unitsync");
});

/** `watch` on a (pretend) terminal until its table shows `ide`, then Ctrl-C; what it drew. */
async function watchOnTerminal(socketPath: string, env: Record<string, string>): Promise<string> {
  let stdout = "";
  const signals = new EventEmitter();
  const io = {
    stdout: { write: (s: string) => (stdout += s), isTTY: true, columns: 120 },
    stderr: { write: () => true },
    env: { TERM: "xterm-256color", ...env },
    signals,
  };
  const running = main(["watch", "--socket", socketPath], io);
  await eventually(() => stdout.includes("ide"), "the watch table to show ide");
  signals.emit("SIGINT");
  if ((await running) !== 0) throw new Error("watch did not end with 0 on Ctrl-C");
  return stdout;
}

const COLOUR = /\x1b\[3\dm/;

test("statuses are coloured on a terminal, and not with NO_COLOR set or TERM=dumb", async (t) => {
  const { client, socketPath } = await withAgent(t);
  await client.want({ unit: "ide", dependsOn: ["git-clone"] });
  t.regex(await watchOnTerminal(socketPath, {}), COLOUR);
  const plain = await watchOnTerminal(socketPath, { NO_COLOR: "1" });
  t.notRegex(plain, COLOUR);
  t.regex(plain, /ide\s+pending/);
  t.notRegex(await watchOnTerminal(socketPath, { NO_COLOR: "" }), COLOUR, "NO_COLOR set to anything, even empty, turns colour off");
  t.notRegex(await watchOnTerminal(socketPath, { TERM: "dumb" }), COLOUR);
});

test("every verb that prints a table also prints JSON with -o json", async (t) => {
  const { client, socketPath } = await withAgent(t);
  await client.want({ unit: "ide", dependsOn: ["git-clone"] });
  for (const argv of [["list"], ["status", "ide"], ["timeline"], ["graph"], ["ping"]]) {
    const result = await cli([...argv, "-o", "json", "--socket", socketPath]);
    t.is(result.code, 0, `${argv[0]}: ${result.stderr}`);
    t.notThrows(() => JSON.parse(result.stdout), `${argv[0]} -o json prints JSON`);
  }
  // watch prints one JSON object per line; a signal ends it.
  let stdout = "";
  const signals = new EventEmitter();
  const io = { stdout: { write: (s: string) => (stdout += s), isTTY: true }, stderr: { write: () => true }, env: {}, signals };
  const watching = main(["watch", "-o", "json", "--socket", socketPath], io);
  await eventually(() => stdout.includes("\n"), "the snapshot line");
  signals.emit("SIGINT");
  t.is(await watching, 0);
  t.is(JSON.parse(stdout.split("\n")[0]!).type, "snapshot");
});
