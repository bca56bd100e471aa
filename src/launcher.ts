// Starts the bundled CLI (and, for the verbs that need it, the agent bundle) through a per-user V8
// code cache, so each call skips parsing and compiling them (Node 20 has no built-in compile cache). Any cache trouble falls back to a
// plain compile: the cache only ever makes a call faster.
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import { Script } from "node:vm";

/**
 * 64 bits of FNV-1a as 16 hex digits: enough to tell installations and builds apart, and unlike
 * node:crypto it loads nothing (crypto costs every call a few milliseconds).
 */
function hash(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) h = BigInt.asUintN(64, (h ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n);
  return h.toString(16).padStart(16, "0");
}

function cacheDirectory(env: NodeJS.ProcessEnv): string {
  if (env.UNITSYNC_CACHE_DIR) return env.UNITSYNC_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "unitsync");
  try {
    return join(homedir(), ".cache", "unitsync");
  } catch {
    return `/tmp/unitsync-cache-${process.getuid?.() ?? 0}`; // no home: a uid with no passwd entry
  }
}

/** The verb of this call: each verb runs different code, so each gets its own cache. */
function verbOf(argv: readonly string[]): string {
  const verb = argv.slice(2).find((arg) => !arg.startsWith("-"));
  return verb && /^[a-z]{1,16}$/.test(verb) ? verb : "default";
}

/** What to run: its source, the file it is named by, and the file whose size and mtime date its build. */
interface Code {
  source: string;
  file: string;
  builtFrom: string;
}

const fromFile = (file: string): Code => ({ source: readFileSync(file, "utf8"), file, builtFrom: file });

function readCache(path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

/** Some verb's cache file of this build (not one being written), if any. */
export function siblingCache(directory: string, build: string): string | undefined {
  try {
    const entry = readdirSync(directory).find((name) => name.startsWith(build) && name.endsWith(".v8"));
    return entry === undefined ? undefined : join(directory, entry);
  } catch {
    return undefined;
  }
}

/** Compiles and runs CommonJS code as if required, from the cache when possible. */
function run(code: Code, name: string): unknown {
  const { source, file } = code;
  const stat = statSync(code.builtFrom);
  // Named by the installation (the file's path) and its build (size, mtime, and the V8 that
  // compiles it), so an upgrade or a rebuild starts a new cache and removes the old one.
  const installation = `${name}-${hash(file)}-`;
  const build = `${installation}${hash(`${stat.size}\0${stat.mtimeMs}\0${process.version}\0${process.arch}`)}-`;
  const directory = cacheDirectory(process.env);
  const cacheFile = join(directory, `${build}${verbOf(process.argv)}.v8`);
  const own = readCache(cacheFile);
  // A verb's first call starts from another verb's cache of the same build: the start-up and the
  // call to the agent are the same code, so it compiles only what is its own.
  const cachedData = own ?? readCache(siblingCache(directory, build));
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  const script = new Script(wrapper, { filename: file, ...(cachedData ? { cachedData } : {}) });
  if (!own || script.cachedDataRejected) {
    // Written at exit, once the call has compiled the functions it used: they land in the cache too.
    process.once("exit", () => {
      try {
        mkdirSync(directory, { recursive: true, mode: 0o700 });
        const temporary = `${cacheFile}.${process.pid}`;
        writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
        renameSync(temporary, cacheFile);
        for (const entry of readdirSync(directory)) {
          if (entry.startsWith(installation) && !entry.startsWith(build)) rmSync(join(directory, entry), { force: true });
        }
      } catch {
        // a read-only home or a full disk only costs speed
      }
    });
  }
  const module = { exports: {} as object, id: file, filename: file, loaded: false };
  const fn = script.runInThisContext() as (...args: unknown[]) => void;
  fn.call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

/** A side bundle's cache name: unitsync-agent.cjs → agent. */
const sideName = (path: string) => basename(path, ".cjs").replace(/^unitsync-/, "");

/**
 * Runs the CLI bundle at `file`. The side bundles beside it (the agent's, for `agent` and `up`;
 * the plan reader's) come through here too (the CLI bundle looks for this loader), each with its
 * own cache.
 */
export function launch(file: string): void {
  (globalThis as Record<symbol, unknown>)[Symbol.for("unitsync.launcher.load")] = (path: string) => run(fromFile(path), sideName(path));
  run(fromFile(file), "cli");
}

/**
 * The single executable's entry: both bundles are its assets, run through the same per-user
 * cache (dated by the executable itself). Node's own code cache for an executable is made at
 * build time from compiling, not running, so it misses every function compiled lazily.
 */
export function launchSea(): void {
  const { getAsset } = require("node:sea") as typeof import("node:sea");
  const asset = (name: string): Code => ({ source: getAsset(name, "utf8"), file: join(process.execPath, name), builtFrom: process.execPath });
  (globalThis as Record<symbol, unknown>)[Symbol.for("unitsync.launcher.load")] = (path: string) => run(asset(basename(path)), sideName(path));
  run(asset("unitsync.cjs"), "cli");
}
