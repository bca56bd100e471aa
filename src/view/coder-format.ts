// Output details that keep `coder exp sync`'s stdout byte for byte: Go's %q quoting, Go's JSON
// escaping and Go's byte-wise string order (display widths for tables: display-width.ts).

// The Unicode class below is built on first use: constructing it costs a CLI call about a
// millisecond, and names and reasons are mostly ASCII, which needs none of it.
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
