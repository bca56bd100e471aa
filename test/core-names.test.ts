// Core: unit-name validation, at the function and at every registry entry point.
import test from "ava";
import { InvalidArgument, InvalidName } from "../src/core/errors.js";
import { MAX_NAME_LENGTH, validateUnitName } from "../src/core/names.js";
import { Registry } from "../src/core/registry.js";
import { snapshot } from "./helpers/core.js";

const RULE_PARTS = ["1-128 characters", "A-Z a-z 0-9 . _ - : / @ +", "starting with a letter or digit"];

const VALID = [
  "git-clone",
  "dotfiles.clone",
  "acme/db-migrate",
  "a@b+c:d",
  "a",
  "7",
  "Z9",
  "env_setup",
  "a-",
  "a.",
  "a//b",
  "1.2.3",
  "x".repeat(MAX_NAME_LENGTH),
];

const INVALID: [string, string][] = [
  ["empty", ""],
  ["a space", "git clone"],
  ["only a space", " "],
  ["a leading space", " a"],
  ["a trailing space", "a "],
  ["a newline", "a\nb"],
  ["a trailing newline", "a\n"],
  ["a carriage return", "a\rb"],
  ["a tab", "a\tb"],
  ["a NUL", "a\u0000"],
  ["a leading -", "-a"],
  ["a leading .", ".a"],
  ["a leading _", "_a"],
  ["a leading /", "/a"],
  ["a leading @", "@a"],
  ["a comma", "a,b"],
  ["a quote", 'a"b'],
  ["a backslash", "a\\b"],
  ["a non-ASCII letter", "café"],
  ["129 characters", "x".repeat(MAX_NAME_LENGTH + 1)],
  ["129 characters with a newline early", "a\n" + "x".repeat(MAX_NAME_LENGTH - 1)],
  ["129 characters with a carriage return early", "a\r" + "x".repeat(MAX_NAME_LENGTH - 1)],
];

test("the limit is 128 characters", (t) => {
  t.is(MAX_NAME_LENGTH, 128);
});

for (const name of VALID) {
  test(`accepts ${JSON.stringify(name.length > 20 ? `${name.slice(0, 8)}… (${name.length})` : name)}`, (t) => {
    t.is(validateUnitName(name), name);
  });
}

for (const [what, name] of INVALID) {
  test(`rejects a name with ${what}, in one line that names the rule`, (t) => {
    const error = t.throws(() => validateUnitName(name), { instanceOf: InvalidName });
    t.true(error instanceof InvalidArgument);
    t.is(error.kind, "invalid-argument");
    t.notRegex(error.message, /[\r\n]/, "the message is one line");
    for (const part of RULE_PARTS) t.true(error.message.includes(part), `names the rule: ${part}`);
  });
}

test("an over-long name's message says how long it is", (t) => {
  const error = t.throws(() => validateUnitName("x".repeat(129)), { instanceOf: InvalidName });
  t.regex(error.message, /129 characters/);
});

test("an empty name's message says it is empty", (t) => {
  const error = t.throws(() => validateUnitName(""), { instanceOf: InvalidName });
  t.regex(error.message, /^unit name is empty/);
});

test("an invalid name is quoted so the offending character is visible", (t) => {
  const error = t.throws(() => validateUnitName("a\nb"), { instanceOf: InvalidName });
  t.true(error.message.includes(String.raw`"a\nb"`));
});

test("every registry entry point rejects an invalid name and changes nothing", async (t) => {
  const registry = new Registry();
  registry.want("ok", ["dep"]);
  const before = snapshot(registry);
  const signal = new AbortController().signal;
  for (const bad of ["", "has space", "a\nb", "-x", ".x", "x".repeat(129)]) {
    t.throws(() => registry.want(bad, ["dep"]), { instanceOf: InvalidName }, `want ${JSON.stringify(bad)}`);
    t.throws(() => registry.want("ok", ["fine", bad]), { instanceOf: InvalidName }, `want ok ${JSON.stringify(bad)}`);
    t.throws(() => registry.want("new", [bad]), { instanceOf: InvalidName });
    await t.throwsAsync(async () => registry.start(bad, signal), { instanceOf: InvalidName });
    t.throws(() => registry.complete(bad), { instanceOf: InvalidName });
    t.throws(() => registry.fail(bad, "why"), { instanceOf: InvalidName });
    t.throws(() => registry.get(bad), { instanceOf: InvalidName });
  }
  t.deepEqual(snapshot(registry), before);
  t.is(registry.get("fine").status, "not registered");
  t.is(registry.get("new").status, "not registered");
});
