// The installed command's V8 code cache: written per verb, used by later calls, replaced when the
// bundle changes, and never in the way (a corrupt or unwritable cache only costs speed).
import { cpSync, mkdirSync, readdirSync, utimesSync, writeFileSync, chmodSync } from "node:fs";
import { join } from "node:path";
import test from "ava";
import { tempDir } from "./helpers/agent.js";
import { ROOT, spawnProcess } from "./helpers/cli.js";
import { siblingCache } from "../src/launcher.js";

/** A private copy of bin/ and dist/ so a test can touch the bundle without disturbing others. */
function install(dir: string): string {
  mkdirSync(join(dir, "bin"));
  mkdirSync(join(dir, "dist"));
  cpSync(join(ROOT, "bin/unitsync.cjs"), join(dir, "bin/unitsync.cjs"));
  for (const file of ["launcher.cjs", "unitsync.cjs", "unitsync-agent.cjs", "unitsync-plan.cjs"]) cpSync(join(ROOT, "dist", file), join(dir, "dist", file));
  return join(dir, "bin/unitsync.cjs");
}

async function version(bin: string, cache: string): Promise<string> {
  const result = await spawnProcess(process.execPath, [bin, "--version"], { UNITSYNC_CACHE_DIR: cache }).done;
  if (result.code !== 0) throw new Error(result.stderr);
  return result.stdout;
}

test("the first call of a verb writes its cache; a rebuilt bundle replaces the old cache files", async (t) => {
  const dir = tempDir(t);
  const bin = install(dir);
  const cache = join(dir, "cache");
  t.regex(await version(bin, cache), /^unitsync\/\d+\.\d+\.\d+ /);
  const first = readdirSync(cache);
  t.is(first.length, 1);
  t.regex(first[0]!, /^cli-[0-9a-f]{16}-[0-9a-f]{16}-default\.v8$/);
  await version(bin, cache);
  t.deepEqual(readdirSync(cache), first, "a later call uses the cache and writes nothing new");

  const later = new Date(Date.now() + 60_000);
  utimesSync(join(dir, "dist/unitsync.cjs"), later, later); // as a rebuild or an upgrade does
  await version(bin, cache);
  const second = readdirSync(cache);
  t.is(second.length, 1, "the old build's cache was removed");
  t.not(second[0], first[0]);
});

test("a corrupt cache is rejected and rewritten; an unwritable cache directory only costs speed", async (t) => {
  const dir = tempDir(t);
  const bin = install(dir);
  const cache = join(dir, "cache");
  await version(bin, cache);
  const [name] = readdirSync(cache);
  writeFileSync(join(cache, name!), "not a code cache");
  t.regex(await version(bin, cache), /^unitsync\//);
  t.not((await import("node:fs")).readFileSync(join(cache, name!), "utf8"), "not a code cache");

  const blocked = join(dir, "blocked");
  writeFileSync(blocked, ""); // a file where the cache directory should be
  chmodSync(blocked, 0o400);
  t.regex(await version(bin, join(blocked, "cache")), /^unitsync\//);
});

test("a verb's first call starts from another verb's cache of the same build, and writes its own", async (t) => {
  const dir = tempDir(t);
  const bin = install(dir);
  const cache = join(dir, "cache");
  await version(bin, cache);
  const [versionCache] = readdirSync(cache);
  const ping = await spawnProcess(process.execPath, [bin, "ping"], { UNITSYNC_CACHE_DIR: cache, UNITSYNC_SOCKET: join(dir, "none.sock") }).done;
  t.regex(ping.stderr, /no agent answers/);
  t.deepEqual(readdirSync(cache).sort(), [versionCache!, versionCache!.replace(/default\.v8$/, "ping.v8")].sort());
});

test("the cache a first call starts from is this build's, never one being written or another build's or bundle's", (t) => {
  const dir = tempDir(t);
  t.is(siblingCache(join(dir, "missing"), "cli-1-2-"), undefined);
  for (const name of ["cli-1-2-want.v8.4242", "cli-1-0-ping.v8", "agent-9-2-agent.v8"]) writeFileSync(join(dir, name), "");
  t.is(siblingCache(dir, "cli-1-2-"), undefined);
  writeFileSync(join(dir, "cli-1-2-ping.v8"), "");
  t.is(siblingCache(dir, "cli-1-2-"), join(dir, "cli-1-2-ping.v8"));
});
