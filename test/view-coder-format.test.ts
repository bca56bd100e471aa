// Go's %q as coder's output needs it, ASCII and beyond.
import test from "ava";
import { goQuote } from "../src/view/coder-format.js";

test("goQuote quotes every ASCII character as Go's %q does", (t) => {
  const short: Record<number, string> = { 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 34: '\\"', 92: "\\\\" };
  for (let code = 0; code < 128; code++) {
    const ch = String.fromCharCode(code);
    const want = short[code] ?? (code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, "0")}` : ch);
    t.is(goQuote(ch), `"${want}"`, `U+${code.toString(16)}`);
  }
});

test("goQuote keeps printable Unicode and escapes the rest, as Go does", (t) => {
  t.is(goQuote("grüße, 界, e\u0301, 🚀"), '"grüße, 界, e\u0301, 🚀"');
  t.is(goQuote("\u0080\u00a0\u200b\u2028"), '"\\u0080\\u00a0\\u200b\\u2028"');
  t.is(goQuote("\u{e0001}"), '"\\U000e0001"');
});
