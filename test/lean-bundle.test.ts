// What each verb of the installed command loads: --version and --help load no gRPC at all; the CLI
// bundle carries no grpc-js (client verbs speak HTTP/2 themselves); verbs
// that only call the agent read neither the agent bundle nor the plan reader's; `agent` and `check` do. Checked in real processes
// through a preload that records the built-in modules loaded and the files read.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import { eventually, tempDir } from "./helpers/agent.js";
import { BIN, ROOT, spawnProcess } from "./helpers/cli.js";

const AGENT_BUNDLE = join(ROOT, "dist/unitsync-agent.cjs");
const CLI_BUNDLE = join(ROOT, "dist/unitsync.cjs");
const PLAN_BUNDLE = join(ROOT, "dist/unitsync-plan.cjs");

/** Written to a file at exit: the built-in modules the process loaded and the files it read. */
const PRELOAD = `
const fs = require("node:fs");
const read = new Set();
const original = fs.readFileSync;
fs.readFileSync = function (path, ...rest) { read.add(String(path)); return original.call(this, path, ...rest); };
process.once("exit", () => {
  const builtins = process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).map((m) => m.slice(13));
  fs.writeFileSync(process.env.LOAD_REPORT, JSON.stringify({ builtins, read: [...read] }));
});
`;

interface Report {
  builtins: string[];
  read: string[];
}

function setup(t: ExecutionContext) {
  const dir = tempDir(t);
  const preload = join(dir, "preload.cjs");
  writeFileSync(preload, PRELOAD);
  let n = 0;
  const start = (...args: string[]) => {
    const report = join(dir, `report-${n++}.json`);
    const env = { HOME: dir, UNITSYNC_CACHE_DIR: join(dir, "cache"), UNITSYNC_SOCKET: join(dir, "a.sock"), LOAD_REPORT: report };
    const spawned = spawnProcess(process.execPath, ["--require", preload, BIN, ...args], env);
    return { spawned, report: async (): Promise<Report & { code: number }> => ({ code: (await spawned.done).code, ...JSON.parse(readFileSync(report, "utf8")) }) };
  };
  return { run: (...args: string[]) => start(...args).report(), start };
}

test("--version and --help load neither gRPC nor HTTP/2, nor the agent bundle", async (t) => {
  const { run } = setup(t);
  for (const args of [["--version"], ["--help"], ["start", "--help"]]) {
    for (const round of ["first call (writes the code cache)", "later call (reads it)"]) {
      const report = await run(...args);
      t.is(report.code, 0, `${args.join(" ")}, ${round}`);
      t.false(report.builtins.includes("http2"), `${args.join(" ")} loaded http2 (${round})`);
      t.true(report.read.includes(CLI_BUNDLE), `${args.join(" ")} ran the CLI bundle`);
      t.false(report.read.includes(AGENT_BUNDLE), `${args.join(" ")} read the agent bundle (${round})`);
    }
  }
});

test("verbs that only call the agent never read the agent bundle; the agent verb does", async (t) => {
  const { run, start } = setup(t);
  const unreachable = await run("ping");
  t.is(unreachable.code, 3, "no agent answers yet");
  t.true(unreachable.builtins.includes("net"), "ping makes a gRPC call");
  t.false(unreachable.read.includes(AGENT_BUNDLE));

  const agent = start("agent");
  t.teardown(() => agent.spawned.child.kill("SIGKILL"));
  await eventually(() => agent.spawned.stderr().includes("serving on"), "the agent to serve", 45_000);
  for (const args of [["ping"], ["want", "app", "db"], ["start", "db"], ["complete", "db"], ["status", "app", "-o", "json"], ["list"]]) {
    const report = await run(...args);
    t.is(report.code, 0, args.join(" "));
    t.false(report.read.includes(AGENT_BUNDLE), `${args.join(" ")} read the agent bundle`);
    t.false(report.read.includes(PLAN_BUNDLE), `${args.join(" ")} read the plan bundle`);
  }
  agent.spawned.child.kill("SIGTERM");
  const served = await agent.report();
  t.is(served.code, 0);
  t.true(served.read.includes(AGENT_BUNDLE), "the agent verb runs the agent bundle");
});

/**
 * Built-in modules a client call of unitsync needs none of: what grpc-js loads as it is set up
 * (zlib, dns), node:http2 and what it brings (http, tls, crypto). The client's HTTP/2 is on net.
 */
const UNNEEDED_BUILTINS = ["zlib", "dns", "http2", "http", "tls", "crypto"];

test("the CLI bundle holds no grpc-js: client verbs speak HTTP/2 themselves", (t) => {
  const bundle = readFileSync(CLI_BUNDLE, "utf8");
  t.false(bundle.includes("// node_modules/@grpc/grpc-js/"), "the CLI bundle contains grpc-js");
  t.true(readFileSync(AGENT_BUNDLE, "utf8").includes("// node_modules/@grpc/grpc-js/"), "the agent bundle carries grpc-js for the server");
});

test("client verbs load neither grpc-js nor node:http2, http, tls or crypto; check and up -f still read plans", async (t) => {
  const { run, start } = setup(t);
  const dir = tempDir(t);
  const agent = start("agent");
  t.teardown(() => agent.spawned.child.kill("SIGKILL"));
  await eventually(() => agent.spawned.stderr().includes("serving on"), "the agent to serve", 45_000);
  for (const args of [["ping"], ["want", "app", "db"], ["start", "db"], ["complete", "db"], ["list"], ["status", "app"], ["locks"], ["timeline"], ["run", "x", "--", "true"]]) {
    const report = await run(...args);
    t.is(report.code, 0, args.join(" "));
    for (const name of UNNEEDED_BUILTINS) t.false(report.builtins.includes(name), `${args.join(" ")} loaded ${name}`);
  }
  const plan = join(dir, "unitsync.yaml");
  writeFileSync(plan, "units:\n  one:\n    run: \"true\"\n  two:\n    after: [one]\n    run: \"true\"\n");
  const checked = await run("check", "-f", plan);
  t.is(checked.code, 0, "check reads the plan");
  t.true(checked.read.includes(PLAN_BUNDLE), "check runs the plan bundle");
  agent.spawned.child.kill("SIGTERM");
  await agent.report();
  const up = await run("up", "-f", plan, "--socket", join(dir, "up.sock"));
  t.is(up.code, 0, "up -f runs the plan");
});

test("the CLI bundle holds none of the agent's code, nor the plan reader's YAML parser and schema checker", (t) => {
  const bundle = readFileSync(CLI_BUNDLE, "utf8");
  for (const marker of ["node_modules/yaml/", "node_modules/ajv/", "src/plan/parse-yaml.ts", "src/plan/schema-check.ts"]) {
    t.false(bundle.includes(`// ${marker}`), `the CLI bundle contains ${marker}`);
    t.true(readFileSync(PLAN_BUNDLE, "utf8").includes(`// ${marker}`), `the plan bundle lacks ${marker}`);
  }
  for (const marker of ["src/agent/server.ts", "src/agent/handlers.ts", "src/core/registry.ts", "node_modules/protobufjs/", "node_modules/@grpc/proto-loader/", "node_modules/@grpc/reflection/", "node_modules/grpc-health-check/"]) {
    t.false(bundle.includes(`// ${marker}`), `the CLI bundle contains ${marker}`);
  }
  t.true(readFileSync(AGENT_BUNDLE, "utf8").includes("// src/agent/server.ts"));
});
