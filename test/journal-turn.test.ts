// The journal writes the records of one turn of the event loop together: they are on file, in
// order and whole, once the turn is over, and its figures count them from the moment they are appended.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { decodeRecords } from "../src/agent/journal-file.js";
import { Journal, ReplayClock } from "../src/agent/journal.js";
import { Registry } from "../src/core/registry.js";
import { tempDir } from "./helpers/agent.js";

const identity = { bootId: "boot-a", pid1Start: "100" };

test("records appended in one turn are on file, in order and whole, when the turn is over", async (t) => {
  const path = join(tempDir(t), "turn.journal");
  const journal = Journal.open({ path, identity, log: () => {} }, { registry: new Registry(), startedBy: new Map() }, new ReplayClock());
  t.teardown(() => journal.close(true));
  await new Promise(setImmediate);
  const names = ["a", "ü-é", "日本", "🚀", "b".repeat(70_000)];
  for (const u of names) journal.append({ k: "want", u, d: [] });
  t.is(journal.stats.records, names.length);
  const bytes = journal.stats.bytes;
  await new Promise(setImmediate);
  const file = readFileSync(path);
  t.is(file.length, bytes);
  const decoded = decodeRecords(file);
  t.is(decoded.droppedBytes, 0);
  t.deepEqual(decoded.records.slice(1).map((r) => r.u), names);
});

test("close writes what the turn appended before it", (t) => {
  const path = join(tempDir(t), "close.journal");
  const journal = Journal.open({ path, identity, log: () => {} }, { registry: new Registry(), startedBy: new Map() }, new ReplayClock());
  journal.append({ k: "want", u: "last", d: [] });
  journal.close(false);
  const decoded = decodeRecords(readFileSync(path));
  t.is(decoded.records[0]?.k, "header");
  t.deepEqual(decoded.records.slice(1).map((r) => r.u), ["last"]);
});
