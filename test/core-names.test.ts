// Core: unit-name validation — any printable Unicode up to the limit, as coder accepts; empty
// names, control and other unprintable characters, and over-long names are refused everywhere.
import test from "ava";
import { InvalidArgument, InvalidName } from "../src/core/errors.js";
import { MAX_NAME_LENGTH, validateUnitName } from "../src/core/names.js";
import { Registry } from "../src/core/registry.js";
import { snapshot } from "./helpers/core.js";

const RULE = "printable characters (letters, digits, punctuation, symbols, spaces); control characters are refused";

/** The names the coder-parity work must accept end to end. */
export const CODER_NAMES = ["my app", 'coder_script.startup_unit["health-check"]', "ünïcødé", "a,b/c 'd' (e) [f] {g}"];

const VALID = [
  ...CODER_NAMES,
  "git-clone",
  "-x",
  ".hidden",
  " leading and trailing ",
  "a\\b",
  "日本語のユニット",
  "emoji 👩‍💻 ok",
  "e\u0301", // a combining accent
  "nbsp\u00a0inside",
  "x".repeat(MAX_NAME_LENGTH),
  "é".repeat(MAX_NAME_LENGTH),
  "😀".repeat(MAX_NAME_LENGTH), // counted in characters, not UTF-16 units
];

const INVALID: [string, string, RegExp][] = [
  ["empty", "", /^unit name is empty/],
  ["a newline", "a\nb", /control character U\+000A at position 2/],
  ["a trailing newline", "a\n", /control character U\+000A/],
  ["a carriage return", "a\rb", /U\+000D/],
  ["a tab", "a\tb", /U\+0009/],
  ["a NUL", "a\u0000", /U\+0000/],
  ["an escape", "\u001b[31mred", /U\+001B at position 1/],
  ["DEL", "a\u007f", /U\+007F/],
  ["a C1 control", "a\u0085b", /control character U\+0085/],
  ["a line separator", "a\u2028b", /character U\+2028/],
  ["a bidi override", "a\u202eb", /character U\+202E/],
  ["a lone surrogate", "a\ud800b", /character U\+D800/],
  ["one character too many", "x".repeat(MAX_NAME_LENGTH + 1), new RegExp(`is ${MAX_NAME_LENGTH + 1} characters`)],
];

test(`the default limit is ${MAX_NAME_LENGTH} characters, at least 512`, (t) => {
  t.true(MAX_NAME_LENGTH >= 512);
});

for (const name of VALID) {
  test(`accepts ${JSON.stringify(name.length > 24 ? `${[...name].slice(0, 8).join("")}… (${[...name].length})` : name)}`, (t) => {
    t.is(validateUnitName(name), name);
  });
}

for (const [what, name, message] of INVALID) {
  test(`rejects a name with ${what}, in one printable line that names the rule`, (t) => {
    const error = t.throws(() => validateUnitName(name), { instanceOf: InvalidName });
    t.true(error instanceof InvalidArgument);
    t.is(error.kind, "invalid-argument");
    t.regex(error.message, message);
    t.notRegex(error.message, /[\p{Cc}\u2028\u2029]/u, "the message is one printable line");
    t.true(error.message.includes(RULE));
  });
}

test("the limit can be set (the agent's --max-name)", (t) => {
  t.is(validateUnitName("abcd", 4), "abcd");
  t.throws(() => validateUnitName("abcde", 4), { instanceOf: InvalidName, message: /is 5 characters; a unit name is 1-4 printable/ });
  const registry = new Registry({ limits: { nameLength: 4 } });
  t.throws(() => registry.want("abcde", ["a"]), { instanceOf: InvalidName });
  t.like(registry.want("abcd", ["a"]), { name: "abcd" });
});

test("an invalid name is quoted with the offending character escaped", (t) => {
  const error = t.throws(() => validateUnitName("a\nb"), { instanceOf: InvalidName });
  t.true(error.message.includes(String.raw`"a\u{a}b"`), error.message);
});

test("every registry entry point rejects an invalid name and changes nothing", async (t) => {
  const registry = new Registry();
  registry.want("ok", ["dep"]);
  const before = snapshot(registry);
  const signal = new AbortController().signal;
  for (const bad of ["", "a\nb", "tab\there", "x".repeat(MAX_NAME_LENGTH + 1)]) {
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
