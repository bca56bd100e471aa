// The plan check: each kind of problem at its line and column, the cycle's path, and the model
// `up -f` runs (durations, commands, dependencies) from a plan without errors.
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import test from "ava";
import { checkText } from "../src/plan/check.js";
import { formatProblem } from "../src/plan/problems.js";
import { checkScripts, readHeader } from "../src/plan/script-header.js";

const lines = (text: string) => checkText(text, "p.yaml", join(tmpdir(), "p.yaml")).problems.map(formatProblem);

test("YAML syntax errors are reported at their place and nothing else is checked", (t) => {
  const out = lines('units:\n  a: { run: "true"\n');
  t.is(out.length, 1);
  t.regex(out[0]!, /^p\.yaml:3:1: .*; fix the YAML syntax$/);
});

test("a key given twice is a YAML error at the second one", (t) => {
  t.deepEqual(lines('units:\n  a: { run: "true" }\n  a: { run: "false" }\n'), ["p.yaml:3:3: map keys must be unique; give each key once"]);
});

test("unknown keys, at the key, with did-you-mean, at the top level and in a unit", (t) => {
  t.deepEqual(lines('budjet: 5m\nunits:\n  a:\n    run: "true"\n    retires: 2\n    colour: red\n'), [
    'p.yaml:1:1: unknown key "budjet" at the top level; did you mean "budget"?',
    'p.yaml:5:5: unknown key "retires" in unit "a"; did you mean "retries"?',
    'p.yaml:6:5: unknown key "colour" in unit "a"; use one of run, script, after, ready, ready_timeout, lock, timeout, run_timeout, retries, retry_delay, env, cwd, external',
  ]);
});

test("bad durations at the value, top level and per unit", (t) => {
  t.deepEqual(lines('budget: 5x\nunits:\n  a: { run: "true", run_timeout: 3q, retry_delay: -1 }\n'), [
    'p.yaml:1:9: budget: invalid duration "5x"; use forms like 30s, 5m, 1h30m or 0 for no limit',
    'p.yaml:3:34: unit "a": run_timeout: invalid duration "3q"; use forms like 30s, 5m, 1h30m or 0 for no limit',
    'p.yaml:3:51: unit "a": retry_delay: invalid duration "-1"; use forms like 30s, 5m, 1h30m or 0 for no limit',
  ]);
});

test("readiness checks: each kind's syntax is checked, a log pattern must compile", (t) => {
  const out = lines(
    'units:\n  a:\n    run: "true"\n    ready:\n      - "tcp:8080"\n      - "tcp:127.0.0.1:5432"\n      - "tcp:99999"\n      - "tcp:host"\n      - "http://127.0.0.1:8080/"\n      - "https://"\n      - "file:"\n      - "log:("\n      - "log:listening on \\\\d+"\n      - "exec:"\n      - notify\n      - "htp://x"\n',
  );
  t.deepEqual(out, [
    'p.yaml:7:9: readiness check tcp:99999: "99999" is not a port; use 1-65535',
    'p.yaml:8:9: readiness check tcp:host: "host" is not a port; use 1-65535',
    'p.yaml:10:9: readiness check https://: not a URL; write https://HOST:PORT/PATH',
    'p.yaml:11:9: readiness check file:: nothing after "file:"; write file:PATH',
    'p.yaml:12:9: readiness check log:(: not a regular expression: Invalid regular expression: /(/: Unterminated group',
    'p.yaml:14:9: readiness check exec:: nothing after "exec:"; write exec:COMMAND',
    'p.yaml:16:9: readiness check htp://x: unknown check; use tcp:PORT, tcp:HOST:PORT, http://URL, https://URL, file:PATH, log:REGEX, exec:COMMAND or notify',
  ]);
});

test("unknown dependencies name the closest unit; a dependency on an external unit is a warning", (t) => {
  const { problems, plan } = checkText(
    'units:\n  git-clone: { run: "true" }\n  build: { run: "true", after: [git-clon, nowhere] }\n  dotfiles: { external: true }\n  ide: { run: "true", after: { dotfiles: completed } }\n',
    "p.yaml",
    join(tmpdir(), "p.yaml"),
  );
  t.deepEqual(problems.map(formatProblem), [
    'p.yaml:3:33: unit "build" depends on "git-clon", which no unit provides; did you mean "git-clone"?',
    'p.yaml:3:43: unit "build" depends on "nowhere", which no unit provides; add a unit "nowhere", or declare it with external: true if a script registers it',
    'p.yaml:5:32: warning: "dotfiles" is external: nothing in this plan runs it, so "ide" waits until a script completes it',
  ]);
  t.is(plan, undefined);
});

test("a cycle a -> b -> c -> a is reported with its path, once", (t) => {
  t.deepEqual(lines('units:\n  a: { run: "true", after: [b] }\n  b: { run: "true", after: c }\n  c: { run: "true", after: { a: finished } }\n  d: { run: "true", after: [d] }\n'), [
    "p.yaml:2:29: cycle detected: a -> b -> c -> a; remove one of these dependencies",
    "p.yaml:5:29: cycle detected: d -> d; remove one of these dependencies",
  ]);
});

test("invalid unit and lock names, bad conditions, run and script together, nothing to run", (t) => {
  t.deepEqual(
    lines('units:\n  "bad\\tname": { run: "true" }\n  a: { run: "x", script: ./x.sh, lock: [dpkg, "b\\tb", "x:0"], after: { "bad\\tname": finishd } }\n  e: { env: { A: 1 } }\n  s: { script: ./missing.sh }\n'),
    [
      'p.yaml:2:3: invalid unit name "bad\\u{9}name": control character U+0009 at position 4; a unit name is 1-1024 printable characters (letters, digits, punctuation, symbols, spaces); control characters are refused; rename the unit',
      'p.yaml:3:18: unit "a" has both run and script; keep one',
      'p.yaml:3:47: lock "b\\u{9}b": invalid lock name "b\\u{9}b": control character U+0009 at position 2; a lock name is 1-1024 printable characters (letters, digits, punctuation, symbols, spaces); control characters are refused',
      'p.yaml:3:55: lock "x:0": capacity must be at least 1; write NAME:CAPACITY with CAPACITY ≥ 1',
      'p.yaml:3:72: invalid unit name "bad\\u{9}name": control character U+0009 at position 4; a unit name is 1-1024 printable characters (letters, digits, punctuation, symbols, spaces); control characters are refused; fix the dependency\'s name',
      'p.yaml:3:85: unit "a": after.bad\\u{9}name: "finishd" is not a condition; did you mean "finished"? use completed, started, finished',
      'p.yaml:4:3: unit "e" has nothing to run; add run: or script:, or external: true if a script registers it',
      `p.yaml:5:16: script "./missing.sh" does not exist (looked in ${tmpdir()}); give a path relative to the plan's directory`,
    ],
  );
});

test("wrong types and an empty or missing units section", (t) => {
  t.deepEqual(lines('units:\n  a: { run: 3, retries: "two", external: yes }\n'), [
    'p.yaml:2:13: unit "a": run must be a string or a list, not a whole number; write run: "make build" or run: [make, build]',
    'p.yaml:2:25: unit "a": retries must be a whole number, not a string; write retries: 2',
    'p.yaml:2:42: unit "a": external must be true or false, not a string; write external: true',
  ]);
  t.deepEqual(lines("budget: 5m\n"), ['p.yaml:1:1: the plan has no "units"; write units: with one entry per unit, e.g. units: { build: { run: make } }']);
  t.deepEqual(lines(""), ["p.yaml:1:1: the plan must be a mapping, not null; give a mapping"]);
});

test("a plan without errors becomes the model up -f runs", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "us-"));
  writeFileSync(join(dir, "s.sh"), "#!/bin/sh\n");
  const { problems, plan } = checkText(
    'budget: 5m\nlog_dir: logs\nenv: { A: 1 }\nunits:\n  a: { run: "echo hi", retries: 2, retry_delay: 1.5s, run_timeout: 3m, lock: dpkg }\n  b: { run: [make, -j2], after: [a], ready: "tcp:8080", ready_timeout: 30s, cwd: sub, env: { B: x } }\n  c: { script: s.sh, after: { a: finished, b: started }, timeout: 1h30m }\n',
    "p.yaml",
    join(dir, "p.yaml"),
  );
  t.deepEqual(problems, []);
  t.is(plan!.budgetMs, 300_000);
  t.is(plan!.logDir, join(dir, "logs"));
  t.deepEqual(plan!.env, { A: "1" });
  const [a, b, c] = plan!.units;
  t.deepEqual(a!.command, ["sh", "-c", "echo hi"]);
  t.like(a, { retries: 2, retryDelayMs: 1500, runTimeoutMs: 180_000, locks: ["dpkg"], cwd: dir, external: false });
  t.deepEqual(b!.command, ["make", "-j2"]);
  t.like(b, { ready: ["tcp:8080"], readyTimeoutMs: 30_000, cwd: join(dir, "sub"), env: { B: "x" } });
  t.deepEqual(b!.after, [{ name: "a", condition: "completed" }]);
  t.deepEqual(c!.command, [join(dir, "s.sh")]);
  t.deepEqual(c!.after, [{ name: "a", condition: "finished" }, { name: "b", condition: "started" }]);
  t.is(c!.timeoutMs, 5_400_000);
});

test("script headers are parsed and checked like plan entries, at their line and column", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "us-"));
  const script = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    chmodSync(path, 0o755);
    return path;
  };
  const clone = script("git-clone.sh", "#!/bin/sh\n# unitsync: ready=file:/tmp/x retries=2\n");
  const ide = script("ide.sh", "#!/bin/sh\n# unitsync: after=git-clone,dotfile lock=dpkg\n# unitsync: ready=tcp:99999 retires=1\necho\n");
  const plain = script("plain.sh", "#!/bin/sh\necho no header\n");
  t.is(readHeader(plain), undefined);
  t.like(readHeader(clone), { name: "git-clone", raw: { ready: ["file:/tmp/x"], retries: 2 } });
  const { problems } = checkScripts([clone, ide, plain]);
  t.deepEqual(problems.map(formatProblem), [
    `${ide}:2:29: warning: unit "ide" depends on "dotfile", which no unit provides; add a unit "dotfile", or declare it with external: true if a script registers it`,
    `${ide}:3:19: readiness check tcp:99999: "99999" is not a port; use 1-65535`,
    `${ide}:3:29: unknown key "retires" in unit "ide"; did you mean "retries"?`,
  ]);
  t.like(checkScripts([plain]), { problems: [], plan: { units: [] } });
  const ok = checkScripts([clone, plain]);
  t.deepEqual(ok.problems, []);
  t.like(ok.plan!.units[0], { name: "git-clone", command: [clone], ready: ["file:/tmp/x"], retries: 2 });
});
