// What keeps the idle agent small: one collection of start-up garbage, and an ASCII agent bundle.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import test from "ava";
import { collectStartupGarbage } from "../src/agent/startup-garbage.js";
import { ROOT } from "./helpers/cli.js";

test("the start-up collection runs and exposes no gc to any context", (t) => {
  t.true(collectStartupGarbage());
  t.is(typeof (globalThis as { gc?: unknown }).gc, "undefined");
  t.is(runInNewContext("typeof gc"), "undefined", "contexts made later get no gc either");
});

test("both bundles are ASCII: V8 then holds each source at one byte per character, not two", (t) => {
  for (const file of ["dist/unitsync-agent.cjs", "dist/unitsync-plan.cjs", "dist/unitsync.cjs"]) {
    const text = readFileSync(join(ROOT, file), "latin1");
    const at = text.search(/[^\x00-\x7f]/);
    t.is(at, -1, `${file} has a non-ASCII character at ${at}: ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 10))}`);
  }
});
