// Output details that keep `coder exp sync`'s stdout byte for byte: Go's %q quoting, Go's JSON
// escaping, Go's byte-wise string order, and display widths for aligning tables.

// The Unicode classes below are built on first use: constructing them costs a CLI call about a
// millisecond, and names and reasons are mostly ASCII, which needs none of them.
let printable: RegExp | undefined;
/** Go's strconv.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const isPrintable = (ch: string) => (ch >= " " && ch <= "~") || (printable ??= /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u).test(ch);
const SHORT_ESCAPES: Record<string, string> = { "\x07": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v" };

/** `s` as Go's %q prints it: double quotes, `\"` and `\\`, escapes for what is not printable. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (isPrintable(ch)) out += ch;
    else if (SHORT_ESCAPES[ch]) out += SHORT_ESCAPES[ch];
    else {
      const code = ch.codePointAt(0)!;
      out += code < 0x80 ? `\\x${code.toString(16).padStart(2, "0")}` : code < 0x10000 ? `\\u${code.toString(16).padStart(4, "0")}` : `\\U${code.toString(16).padStart(8, "0")}`;
    }
  }
  return `${out}"`;
}

/** JSON indented by two spaces with Go's escaping of <, >, & and U+2028/U+2029, and a newline. */
export function goJson(value: unknown): string {
  return (
    JSON.stringify(value, null, 2).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) + "\n"
  );
}

const encoder = new TextEncoder();

/** Go's string order: by UTF-8 bytes. */
export function byteOrder(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(encoder.encode(a), encoder.encode(b));
}

export const sortedNames = (names: readonly string[]): string[] => [...names].sort(byteOrder);

let wide: RegExp | undefined;
let zero: RegExp | undefined;
const WIDE = () => (wide ??= /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]/u);
const ZERO = () => (zero ??= /[\p{M}\u200b-\u200d]/u);

/** Columns a string takes in a terminal: wide East Asian characters 2, combining marks 0. */
export function displayWidth(s: string): number {
  let width = 0;
  // Below U+0300 (where combining marks begin) every character is one column.
  for (const ch of s) width += ch < "\u0300" ? 1 : ZERO().test(ch) ? 0 : WIDE().test(ch) ? 2 : 1;
  return width;
}
