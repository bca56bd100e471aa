// make check's buf breaking step (scripts/check-breaking.sh) in throwaway git repositories: what it
// compares with on a branch and on main, and when it says it has nothing to compare with.
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import test, { type ExecutionContext } from "ava";
import { tempDir } from "./helpers/agent.js";
import { ROOT, spawnProcess } from "./helpers/cli.js";

const PROTO = "proto/unitsync/v1/unitsync.proto";
const GIT_ENV = { GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" };

async function git(repo: string, ...args: string[]): Promise<void> {
  const result = await spawnProcess("git", ["-C", repo, ...args], GIT_ENV).done;
  if (result.code !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
}

/** A repository with this project's buf.yaml and proto committed on main. */
async function repository(t: ExecutionContext): Promise<string> {
  const repo = tempDir(t);
  await git(repo, "init", "-q", "-b", "main");
  cpSync(join(ROOT, "buf.yaml"), join(repo, "buf.yaml"));
  cpSync(join(ROOT, "proto"), join(repo, "proto"), { recursive: true });
  await git(repo, "add", ".");
  await git(repo, "commit", "-q", "-m", "contract");
  return repo;
}

function edit(repo: string, from: string, to: string): void {
  const file = join(repo, PROTO);
  const text = readFileSync(file, "utf8");
  if (!text.includes(from)) throw new Error(`${from} not in the proto`);
  writeFileSync(file, text.replace(from, to));
}

const check = (repo: string) =>
  spawnProcess("sh", [join(ROOT, "scripts/check-breaking.sh")], { BUF: join(ROOT, "node_modules/.bin/buf"), UNITSYNC_BREAKING_BASE: undefined }, repo).done;

test("on a branch, a renamed field fails against the merge-base with main; an added field passes", async (t) => {
  const repo = await repository(t);
  await git(repo, "checkout", "-q", "-b", "feature");
  edit(repo, "string version = 1;", "string release = 1;");
  const broken = await check(repo);
  t.not(broken.code, 0);
  t.regex(broken.stdout, /merge-base with main/);
  t.regex(broken.stdout + broken.stderr, /changed name from "version" to "release"/);

  await git(repo, "checkout", "-q", "--", "proto");
  edit(repo, "string version = 1;", "string version = 1;\n  string build = 99;");
  const added = await check(repo);
  t.is(added.code, 0, added.stderr + added.stdout);
});

test("on main itself (as CI checks it out), the last commit is checked against the one before", async (t) => {
  const repo = await repository(t);
  edit(repo, "string version = 1;", "string release = 1;");
  await git(repo, "commit", "-q", "-am", "rename a field");
  const result = await check(repo);
  t.not(result.code, 0);
  t.regex(result.stdout, /the commit before HEAD/);
  t.regex(result.stdout + result.stderr, /"version"/);
});

test("with nothing to compare with, the check says so and passes", async (t) => {
  const only = await repository(t); // one commit on main: no commit before it
  const first = await check(only);
  t.is(first.code, 0, first.stderr);
  t.regex(first.stdout, /skipped: no base commit/);

  const repo = tempDir(t); // a base that predates the proto
  await git(repo, "init", "-q", "-b", "main");
  writeFileSync(join(repo, "README"), "unitsync\n");
  await git(repo, "add", ".");
  await git(repo, "commit", "-q", "-m", "start");
  cpSync(join(ROOT, "buf.yaml"), join(repo, "buf.yaml"));
  cpSync(join(ROOT, "proto"), join(repo, "proto"), { recursive: true });
  await git(repo, "add", ".");
  await git(repo, "commit", "-q", "-m", "contract");
  const before = await check(repo);
  t.is(before.code, 0, before.stderr);
  t.regex(before.stdout, /skipped: .* has no proto\//);
});
