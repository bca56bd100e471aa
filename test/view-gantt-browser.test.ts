// The Gantt SVG as a person sees it in headless Chromium: valid XML, a bar per unit, the critical
// chain coloured, failed and not-run units marked, 200 units scrolling at full row height.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import test from "ava";
import { tempDir } from "./helpers/agent.js";
import { openBrowser } from "./helpers/browser.js";
import { EXAMPLE, manyUnits, timelineOf } from "./helpers/timeline-fixture.js";
import { ganttModel } from "../src/view/gantt-model.js";
import { ROW_HEIGHT, ganttSvg } from "../src/view/gantt-svg.js";
import { timelinePage } from "../src/view/timeline-page.js";
import { SVG_BYTES_FOR_200_UNITS } from "../src/view/size-bound.js";

const CHAIN = ["git-clone", "npm install", "ide"];
const example = () => ganttModel(timelineOf(EXAMPLE, CHAIN), { blocked: new Set(["seed-data"]) });

/** Parses `text` as XML in the page and answers the parser's complaint, or "" when it is well-formed. */
const xmlProblem = (text: string) => {
  const parsed = new DOMParser().parseFromString(text, "image/svg+xml");
  const error = parsed.querySelector("parsererror");
  return error ? (error.textContent ?? "parse error") : parsed.documentElement.nodeName === "svg" ? "" : `root is ${parsed.documentElement.nodeName}`;
};

interface BarFacts {
  unit: string;
  state: string;
  critical: boolean;
  bars: { cls: string; fill: string; width: number; height: number; title: string }[];
  label: string;
}

const barFacts = (): BarFacts[] =>
  [...document.querySelectorAll("g.row")].map((g) => ({
    unit: g.getAttribute("data-unit") ?? "",
    state: [...g.classList].find((c) => c.startsWith("state-"))?.slice(6) ?? "",
    critical: g.classList.contains("critical"),
    bars: [...g.querySelectorAll("rect.seg")].map((r) => {
      const box = r.getBoundingClientRect();
      return { cls: r.getAttribute("class") ?? "", fill: getComputedStyle(r).fill, width: box.width, height: box.height, title: r.querySelector("title")?.textContent ?? "" };
    }),
    label: g.querySelector("text.label")?.textContent ?? "",
  }));

test("the example chart: valid XML, a bar per unit, the critical chain coloured, failure and not-run marked", async (t) => {
  const dir = tempDir(t);
  const svg = ganttSvg(example());
  const file = join(dir, "startup.svg");
  writeFileSync(file, svg);
  const { page, errors, screenshot } = await openBrowser(t, { width: 1300, height: 320 });
  await page.goto(pathToFileURL(file).href);
  t.is(await page.evaluate(xmlProblem, svg), "", "the SVG is well-formed XML");
  const rows = await page.evaluate(barFacts);
  t.deepEqual(
    rows.map((r) => r.unit),
    ["git-clone", "dotfiles", "env-setup", "npm install", "db-migrate", "ide", "seed-data"],
    "one row per unit, in the order they began to run, the never-run last",
  );
  for (const row of rows) {
    t.true(row.bars.length > 0 && row.bars.every((b) => b.width >= 1 && b.height > 0), `${row.unit} has visible bars`);
    t.true(row.label.startsWith(row.unit), `${row.unit} is labelled`);
  }
  const byUnit = new Map(rows.map((r) => [r.unit, r]));
  const runFill = (unit: string) => byUnit.get(unit)!.bars.find((b) => b.cls.split(" ").includes("run"))!.fill;
  t.deepEqual(rows.filter((r) => r.critical).map((r) => r.unit), CHAIN);
  const critical = runFill("git-clone");
  t.is(runFill("npm install"), critical);
  t.is(runFill("ide"), critical);
  t.not(runFill("dotfiles"), critical, "a unit off the chain is drawn in another colour");
  t.not(runFill("env-setup"), critical);
  const failed = byUnit.get("db-migrate")!;
  t.is(failed.state, "failed");
  t.not(runFill("db-migrate"), runFill("dotfiles"), "the failed run is coloured apart");
  t.regex(failed.label, /failed: exit status 1/);
  t.regex(failed.bars.find((b) => b.cls.includes("run"))!.title, /failed: exit status 1: relation "users" already exists/);
  t.regex(failed.bars[0]!.title, /^db-migrate · waiting for dependencies\nfrom \+45ms \(2026-01-15T09:00:00\.045Z\)\nto \+3\.91s/);
  const notRun = byUnit.get("seed-data")!;
  t.is(notRun.state, "not-run");
  t.regex(notRun.label, /not run \(a dependency failed\)/);
  t.true(notRun.bars.some((b) => b.cls.includes("not-run")));
  t.log(`screenshot: ${await screenshot("gantt-example")}`);
  t.deepEqual(errors, []);
});

test(`200 units: under ${SVG_BYTES_FOR_200_UNITS} bytes, every row at full height, the picture scrolls`, async (t) => {
  const dir = tempDir(t);
  const svg = ganttSvg(ganttModel(timelineOf(manyUnits(200))));
  const bytes = Buffer.byteLength(svg);
  t.log(`200 units: ${bytes} bytes`);
  t.true(bytes < SVG_BYTES_FOR_200_UNITS, `${bytes} bytes`);
  const file = join(dir, "many.html");
  writeFileSync(file, timelinePage(ganttModel(timelineOf(manyUnits(200)))));
  const { page, errors, screenshot } = await openBrowser(t, { width: 1280, height: 720 });
  await page.goto(pathToFileURL(file).href);
  t.is(await page.evaluate(xmlProblem, svg), "");
  const rows = await page.evaluate(barFacts);
  t.is(rows.length, 200);
  t.true(rows.every((r) => r.bars.length > 0 && r.bars.every((b) => b.width >= 1 && b.height === 14)), "no row is squeezed");
  const scroll = await page.evaluate(() => {
    const chart = document.querySelector(".chart")!;
    return { scrollHeight: chart.scrollHeight, clientHeight: chart.clientHeight, svgHeight: document.querySelector("svg")!.getBoundingClientRect().height };
  });
  t.true(scroll.svgHeight >= 200 * ROW_HEIGHT, "the picture keeps its full height");
  t.true(scroll.scrollHeight > scroll.clientHeight, "the page scrolls to show it");
  t.log(`screenshot: ${await screenshot("gantt-200")}`);
  t.deepEqual(errors, []);
});
