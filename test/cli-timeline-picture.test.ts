// `timeline -o svg|html|otlp-json` against a real agent: one bar row per unit in start order, the
// page wrapping the same picture, the trace as OTLP JSON, and a clear error for unknown formats.
import test from "ava";
import { withAgent } from "./helpers/agent.js";
import { cli } from "./helpers/cli.js";

async function startUp(t: Parameters<typeof withAgent>[0]) {
  const agent = await withAgent(t);
  const run = async (...argv: string[]) => {
    const result = await cli([...argv, "--socket", agent.socketPath]);
    if (result.code !== 0) throw new Error(`${argv.join(" ")}: ${result.stderr}`);
  };
  await run("want", "ide", "git-clone");
  await run("want", "acme/seed-data", "git-clone");
  await run("start", "git-clone");
  await run("complete", "git-clone");
  await run("start", "ide");
  await run("fail", "ide", "--reason", "exit status 2");
  return agent;
}

test("timeline -o svg draws a row per unit in start order and marks the failure", async (t) => {
  const { socketPath } = await startUp(t);
  const result = await cli(["timeline", "-o", "svg", "--socket", socketPath]);
  t.is(result.code, 0, result.stderr);
  t.is(result.stderr, "");
  t.regex(result.stdout, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="\d+" height="\d+"/);
  const rows = [...result.stdout.matchAll(/<g class="row ([^"]*)" data-unit="([^"]*)">/g)].map((m) => [m[2], m[1]]);
  t.deepEqual(rows, [
    ["git-clone", "state-completed"],
    ["ide", "state-failed critical"],
    ["acme/seed-data", "state-not-run"],
  ]);
  t.regex(result.stdout, /ide · running\nfrom \+\d+ms \([^)]+\)\nto \+\d+ms \([^)]+\)\nlasted \d+ms\nfailed: exit status 2/);
  t.notRegex(result.stdout, /href=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/, "no external assets");
});

test("timeline -o html is one self-contained page around the same chart", async (t) => {
  const { socketPath } = await startUp(t);
  const result = await cli(["timeline", "-o", "html", "--socket", socketPath]);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /^<!doctype html>\n<html lang="en">/);
  t.regex(result.stdout, /<div class="chart">\n<svg /);
  t.is([...result.stdout.matchAll(/<g class="row /g)].length, 3);
  t.notRegex(result.stdout, /<script|<link|src=/);
});

test("timeline -o otlp-json writes the start-up as one OTLP JSON trace", async (t) => {
  const { socketPath } = await startUp(t);
  const result = await cli(["timeline", "-o", "otlp-json", "--socket", socketPath]);
  t.is(result.code, 0, result.stderr);
  const request = JSON.parse(result.stdout);
  const [resourceSpans] = request.resourceSpans;
  const service = resourceSpans.resource.attributes.find((a: any) => a.key === "service.name");
  t.is(service.value.stringValue, "unitsync");
  const spans: any[] = resourceSpans.scopeSpans[0].spans;
  const root = spans.find((s) => !s.parentSpanId);
  t.is(root.name, "unitsync start-up");
  t.is(root.status.code, 2);
  const units = spans.filter((s) => s.parentSpanId === root.spanId).map((s) => s.name).sort();
  t.deepEqual(units, ["acme/seed-data", "git-clone", "ide"]);
  const ide = spans.find((s) => s.name === "ide");
  t.deepEqual(ide.status, { code: 2, message: "exit status 2" });
  t.is(new Set(spans.map((s) => s.traceId)).size, 1);
});

test("timeline -o with an unknown format is a usage error naming the formats", async (t) => {
  const result = await cli(["timeline", "-o", "png", "--socket", "/tmp/unitsync-views-unused.sock"]);
  t.is(result.code, 2);
  t.is(result.stderr, "unitsync: -o png: unknown output format; use table or json or svg or html or otlp-json\n");
});
