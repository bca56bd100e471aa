// Trace export: a real agent with OTEL_EXPORTER_OTLP_ENDPOINT sends one trace per start-up over
// OTLP/HTTP; decoded with the OTLP protobuf definitions, its tree, names, durations (equal to the
// timeline's) and error statuses are checked, and `timeline -o otlp-json` gives the same trace.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import test from "ava";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type UnitSyncClient, connect } from "../src/client/client.js";
import { tempDir } from "./helpers/agent.js";
import { stopProcess } from "./helpers/agent-process.js";
import { ROOT, type Spawned, cli, spawnCli, spawnProcess } from "./helpers/cli.js";
import { type DecodedSpan, decodeTrace, otlpReceiver } from "./helpers/otlp.js";

async function untilPing(socketPath: string, agent: Spawned): Promise<void> {
  const until = Date.now() + 45_000;
  for (;;) {
    if ((await spawnCli(["ping", "--socket", socketPath]).done).code === 0) return;
    if (agent.child.exitCode !== null) throw new Error(`agent exited: ${agent.stderr()}`);
    if (Date.now() > until) throw new Error("agent did not answer");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function agentWith(t: Parameters<typeof tempDir>[0], env: Record<string, string>, node: string[] = []) {
  const dir = tempDir(t);
  const socketPath = join(dir, "agent.sock");
  const argv = ["agent", "--socket", socketPath];
  const agent = node.length > 0 ? spawnProcess(process.execPath, [...node, join(ROOT, "dist/src/cli/bin.js"), ...argv], env) : spawnCli(argv, env);
  t.teardown(() => stopProcess(agent, "SIGKILL"));
  await untilPing(socketPath, agent);
  const client = connect(socketPath, { owner: "setup.sh" });
  t.teardown(() => client.close());
  return { dir, socketPath, agent, client };
}

const startUnit = async (client: UnitSyncClient, unit: string) => {
  for await (const _ of client.start({ unit }));
};

/** git-clone runs; db-migrate waits for it, then fails; ide, after db-migrate, is blocked. */
async function failingStartUp(client: UnitSyncClient) {
  await client.want({ unit: "ide", dependsOn: ["db-migrate"] });
  await client.want({ unit: "db-migrate", dependsOn: ["git-clone"] });
  await startUnit(client, "git-clone");
  const migrate = startUnit(client, "db-migrate");
  const until = Date.now() + 45_000;
  while (!(await client.getUnit({ unit: "db-migrate" })).unit!.waiting) {
    if (Date.now() > until) throw new Error("db-migrate never waited");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await client.complete({ unit: "git-clone" });
  await migrate;
  await client.fail({ unit: "db-migrate", reason: "exit status 1" });
}

const ns = (ms: number) => BigInt(ms) * 1_000_000n;

/** Each span as name, its parent's name, duration, status: comparable across exports. */
function shape(spans: DecodedSpan[]) {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  return spans
    .map((s) => ({ name: s.name, parent: byId.get(s.parentSpanId)?.name ?? "", ns: String(s.endNs - s.startNs), status: s.status.code, message: s.status.message }))
    .sort((a, b) => `${a.parent}/${a.name}`.localeCompare(`${b.parent}/${b.name}`));
}

test("a finished start-up is exported once over OTLP/HTTP: span tree, names, durations, failures", async (t) => {
  const receiver = await otlpReceiver(t);
  const { client, socketPath, agent } = await agentWith(t, {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: "workspace-42",
    OTEL_EXPORTER_OTLP_HEADERS: "x-unitsync-test=yes",
  });
  await failingStartUp(client);
  const request = await receiver.nth(1);
  t.is(request.path, "/v1/traces");
  t.is(request.headers["content-type"], "application/x-protobuf");
  t.is(request.headers["x-unitsync-test"], "yes");
  const trace = decodeTrace(request.body);
  t.is(trace.resource["service.name"], "workspace-42");
  t.is(trace.scope, "unitsync");
  t.is(new Set(trace.spans.map((s) => s.traceId)).size, 1, "one trace");

  const roots = trace.spans.filter((s) => s.parentSpanId === "");
  t.is(roots.length, 1);
  const root = roots[0]!;
  t.is(root.name, "unitsync start-up");
  t.deepEqual(root.status, { code: 2, message: "1 unit attempt failed" });
  const children = (parent: DecodedSpan) =>
    trace.spans.filter((s) => s.parentSpanId === parent.spanId).sort((a, b) => (a.startNs < b.startNs ? -1 : a.startNs > b.startNs ? 1 : 0));
  const units = new Map(children(root).map((s) => [s.name, s]));
  t.deepEqual([...units.keys()].sort(), ["db-migrate", "git-clone", "ide"]);
  const [clone, migrate, ide] = ["git-clone", "db-migrate", "ide"].map((name) => units.get(name)!);
  t.deepEqual(children(clone!).map((s) => s.name), ["run"]);
  t.deepEqual(children(migrate!).map((s) => s.name), ["dependency wait", "run"]);
  t.deepEqual(children(ide!), []);
  t.like(migrate!.attributes, { "unitsync.unit.name": "db-migrate", "unitsync.unit.owner": "setup.sh", "unitsync.unit.attempt": 1, "unitsync.unit.status": "failed" });
  t.deepEqual(migrate!.status, { code: 2, message: "exit status 1" });
  t.deepEqual(children(migrate!)[1]!.status, { code: 2, message: "exit status 1" });
  t.is(clone!.status.code, 0);
  t.deepEqual(ide!.status, { code: 2, message: "not run: a dependency failed" });
  t.is(ide!.attributes["unitsync.unit.not_run"], true);

  // Durations are the timeline's, to the millisecond.
  const timeline = new Map((await client.getTimeline({})).entries.map((e) => [e.unit, e]));
  const at = (unit: string, field: "startRequestedAt" | "startedAt" | "finishedAt") => timestampMs(timeline.get(unit)![field]!);
  const [cloneRun] = children(clone!);
  const [migrateWait, migrateRun] = children(migrate!);
  t.is(cloneRun!.startNs, ns(at("git-clone", "startedAt")));
  t.is(cloneRun!.endNs, ns(at("git-clone", "finishedAt")));
  t.is(migrateWait!.startNs, ns(at("db-migrate", "startRequestedAt")));
  t.is(migrateWait!.endNs, ns(at("db-migrate", "startedAt")));
  t.is(migrateRun!.endNs - migrateRun!.startNs, ns(at("db-migrate", "finishedAt") - at("db-migrate", "startedAt")));
  const firstRegistration = Math.min(...[...timeline.values()].map((e) => timestampMs(e.registeredAt!)));
  t.is(root.startNs, ns(firstRegistration), "start-up begins at the first registration (ide's, as a dependent)");
  t.is(root.endNs, ns(at("db-migrate", "finishedAt")));
  for (const span of trace.spans) {
    const parent = trace.spans.find((s) => s.spanId === span.parentSpanId);
    if (parent) t.true(parent.startNs <= span.startNs && span.endNs <= parent.endNs, `${span.name} lies within ${parent.name}`);
  }

  // timeline -o otlp-json writes the same trace.
  const json = await cli(["timeline", "-o", "otlp-json", "--socket", socketPath]);
  t.is(json.code, 0, json.stderr);
  const written = JSON.parse(json.stdout);
  const spans: DecodedSpan[] = written.resourceSpans[0].scopeSpans[0].spans.map((s: any) => ({
    spanId: s.spanId,
    parentSpanId: s.parentSpanId ?? "",
    name: s.name,
    startNs: BigInt(s.startTimeUnixNano),
    endNs: BigInt(s.endTimeUnixNano),
    status: { code: s.status?.code ?? 0, message: s.status?.message ?? "" },
  }));
  t.deepEqual(shape(spans), shape(trace.spans));

  const stopped = await stopProcess(agent, "SIGTERM");
  t.is(stopped.code, 0, stopped.stderr);
  t.is(receiver.received.length, 1, "nothing changed after the export, so shutdown sent no second trace");
  t.regex(stopped.stderr, /trace [0-9a-f]{32} exported \(\d+ spans, start-up finished\)/);
});

test("at shutdown, an unfinished start-up is exported with its open units marked", async (t) => {
  const receiver = await otlpReceiver(t);
  const { client, agent } = await agentWith(t, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
  await client.want({ unit: "ide", dependsOn: ["code-server"] });
  await startUnit(client, "code-server");
  const stopped = await stopProcess(agent, "SIGTERM");
  t.is(stopped.code, 0, stopped.stderr);
  const trace = decodeTrace((await receiver.nth(1)).body);
  const server = trace.spans.find((s) => s.name === "code-server")!;
  t.is(server.attributes["unitsync.unit.unfinished"], true);
  t.is(server.status.code, 0);
  t.truthy(trace.spans.find((s) => s.name === "ide" && s.attributes["unitsync.unit.not_run"] === true));
  t.regex(stopped.stderr, /exported \(\d+ spans, agent shutting down, some units unfinished\)/);
});

test("with no OTLP endpoint the agent loads no OpenTelemetry module; with one it does", async (t) => {
  const hook = pathToFileURL(join(ROOT, "test", "fixtures", "record-imports.mjs")).href;
  const register = `data:text/javascript,import{register}from"node:module";register(${encodeURIComponent(JSON.stringify(hook))});`;
  const loaded = async (env: Record<string, string>) => {
    const log = join(tempDir(t), "imports.log");
    const { client, agent } = await agentWith(t, { ...env, UNITSYNC_IMPORT_LOG: log }, ["--import", register]);
    await startUnit(client, "git-clone");
    await client.complete({ unit: "git-clone" });
    const stopped = await stopProcess(agent, "SIGTERM");
    t.is(stopped.code, 0, stopped.stderr);
    return readFileSync(log, "utf8").split("\n");
  };
  const without = await loaded({});
  t.true(without.some((url) => url.endsWith("/dist/src/agent/server.js")), "the hook saw the agent's modules");
  t.deepEqual(without.filter((url) => url.includes("@opentelemetry") || url.includes("/telemetry.js") || url.includes("/trace-otlp.js")), []);
  const receiver = await otlpReceiver(t);
  const withEndpoint = await loaded({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
  t.true(withEndpoint.some((url) => url.includes("/node_modules/@opentelemetry/")), "with an endpoint the exporter loads");
});
