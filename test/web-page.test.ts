// The live page in headless Chromium against a real agent: table, graph and Gantt as units
// change, the banner on completion and on failure, no console errors, nothing left open after.
import test from "ava";
import { eventually, withAgent } from "./helpers/agent.js";
import { openBrowser } from "./helpers/browser.js";
import { cli } from "./helpers/cli.js";
import { startWebServer } from "../src/web/server.js";

async function setup(t: Parameters<typeof withAgent>[0]) {
  const agent = await withAgent(t);
  const web = await startWebServer({ socketPath: agent.socketPath, host: "127.0.0.1", port: 0 });
  t.teardown(() => web.close());
  const run = async (...argv: string[]) => {
    const result = await cli([...argv, "--socket", agent.socketPath]);
    if (result.code !== 0) throw new Error(`${argv.join(" ")}: ${result.stderr}`);
  };
  return { ...agent, web, run };
}

const pageFacts = () => ({
  banner: document.getElementById("banner")!.textContent ?? "",
  bannerKind: document.getElementById("banner")!.className,
  table: [...document.querySelectorAll("#units tbody tr")].map((tr) => [tr.getAttribute("data-unit"), tr.getAttribute("data-status")]),
  ganttRows: [...document.querySelectorAll("#gantt g.row")].map((g) => ({
    unit: g.getAttribute("data-unit"),
    bars: [...g.querySelectorAll("rect.seg")].filter((r) => r.getBoundingClientRect().width >= 1).length,
    critical: g.classList.contains("critical"),
  })),
  graphNodes: [...document.querySelectorAll("#graph g.node")].map((g) => [g.getAttribute("data-unit"), g.getAttribute("class")]),
  version: Number(document.body.getAttribute("data-version")),
});

test("the page follows start-up live and says when it is complete", async (t) => {
  const { web, run, agent } = await setup(t);
  await run("want", "ide", "git-clone", "env-setup");
  await run("want", "env-setup", "git-clone");
  await run("start", "git-clone");
  const { page, errors, screenshot } = await openBrowser(t);
  await page.goto(web.url);
  await page.waitForFunction(() => document.querySelectorAll("#units tbody tr").length === 3, undefined, { timeout: 20_000 });
  let facts = await page.evaluate(pageFacts);
  t.deepEqual(Object.fromEntries(facts.table), { ide: "pending", "env-setup": "pending", "git-clone": "started" });
  t.is(facts.bannerKind, "banner progress");
  t.deepEqual(facts.graphNodes.map(([unit]) => unit).sort(), ["env-setup", "git-clone", "ide"]);

  // env-setup and ide wait before git-clone completes, so each was held by the one before it.
  const envSetup = run("start", "env-setup");
  const ide = run("start", "ide");
  await eventually(() => agent.registry.get("env-setup").waiting && agent.registry.get("ide").waiting, "env-setup and ide to wait");
  await run("complete", "git-clone");
  await envSetup;
  await run("complete", "env-setup");
  await ide;
  await page.waitForFunction(() => document.querySelector('#units tr[data-unit="ide"]')?.getAttribute("data-status") === "started", undefined, { timeout: 20_000 });
  // The last complete: how long until the page shows it (read from the DOM; reported, not asserted).
  const before = await page.evaluate(() => Number(document.body.getAttribute("data-version")));
  const sent = Date.now();
  await run("complete", "ide");
  await page.waitForFunction(() => document.getElementById("banner")!.classList.contains("complete"), undefined, { timeout: 20_000, polling: 10 });
  const latency = Date.now() - sent;
  t.log(`page showed the complete ${latency} ms after the complete call returned`);
  facts = await page.evaluate(pageFacts);
  t.true(facts.version > before);
  t.regex(facts.banner, /^Start-up complete: 3 units in /);
  t.true(facts.table.every(([, status]) => status === "completed"));
  t.deepEqual(facts.ganttRows.map((r) => r.unit), ["git-clone", "env-setup", "ide"], "Gantt rows in start order");
  t.true(facts.ganttRows.every((r) => r.bars > 0), "a bar for every unit");
  t.deepEqual(facts.ganttRows.filter((r) => r.critical).map((r) => r.unit), ["git-clone", "env-setup", "ide"]);
  const criticalFill = await page.evaluate(() => getComputedStyle(document.querySelector("#gantt g.critical rect.run")!).fill);
  t.is(criticalFill, "rgb(245, 124, 0)", "the critical chain is coloured");
  t.log(`screenshot: ${await screenshot("web-complete")}`);
  t.deepEqual(errors, []);
  t.is(web.clients, 1);
  await page.close();
  await eventually(() => web.clients === 0, "the page's event stream to close");
  await web.close();
  await eventually(() => agent.context.streams === 0, "the Watch stream to end");
});

test("the page shows a failure in the banner, the table and the chart", async (t) => {
  const { web, run } = await setup(t);
  await run("want", "ide", "db-migrate");
  await run("start", "db-migrate");
  const { page, errors, screenshot } = await openBrowser(t);
  await page.goto(web.url);
  await page.waitForFunction(() => document.querySelectorAll("#units tbody tr").length === 2, undefined, { timeout: 20_000 });
  await run("fail", "db-migrate", "--reason", "exit status 3: <migration> & \"quotes\"");
  await page.waitForFunction(() => document.getElementById("banner")!.classList.contains("failed"), undefined, { timeout: 20_000 });
  const facts = await page.evaluate(pageFacts);
  t.is(facts.banner, 'Start-up failed: db-migrate failed: exit status 3: <migration> & "quotes" · 1 blocked');
  t.deepEqual(Object.fromEntries(facts.table), { "db-migrate": "failed", ide: "blocked" });
  const failedFill = await page.evaluate(() => getComputedStyle(document.querySelector('#gantt g[data-unit="db-migrate"] rect.run')!).fill);
  t.is(failedFill, "rgb(229, 57, 53)");
  t.log(`screenshot: ${await screenshot("web-failed")}`);
  t.deepEqual(errors, []);
});
