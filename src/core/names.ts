// Unit-name validation: the one rule every entry point applies before touching state. A name is
// any non-empty string of printable Unicode (as coder exp sync accepts), up to a limit.
import { InvalidName } from "./errors.js";

/** The default limit in characters (code points); the agent's --max-name sets another. */
export const MAX_NAME_LENGTH = 1024;

/** Letters, marks, digits, punctuation, symbols and spaces; zero-width joiners for emoji sequences. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}\u200c\u200d]$/u;

const rule = (max: number) =>
  `a unit name is 1-${max} printable characters (letters, digits, punctuation, symbols, spaces); control characters are refused`;

/** A name as an error message shows it: quoted, every character that is not printable escaped, one line. */
export function displayName(name: string): string {
  let out = '"';
  for (const ch of name) {
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (PRINTABLE.test(ch) && ch !== "\u2028" && ch !== "\u2029") out += ch;
    else out += `\\u{${ch.codePointAt(0)!.toString(16)}}`;
  }
  return `${out}"`;
}

const codePoint = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;

/** Throws InvalidName, with a one-line message naming the rule, unless `name` is a valid unit name. */
export function validateUnitName(name: string, maxLength = MAX_NAME_LENGTH): string {
  if (name.length === 0) throw new InvalidName(`unit name is empty; ${rule(maxLength)}`);
  let length = 0;
  for (const ch of name) {
    length++;
    if (!PRINTABLE.test(ch)) {
      const what = /^[\p{Cc}]$/u.test(ch) ? "control character" : "character";
      const shown = length > 64 ? displayName(`${[...name].slice(0, 32).join("")}…`) : displayName(name.length > 200 ? name.slice(0, 200) : name);
      throw new InvalidName(`invalid unit name ${shown}: ${what} ${codePoint(ch)} at position ${length}; ${rule(maxLength)}`);
    }
  }
  if (length > maxLength) {
    throw new InvalidName(`unit name ${displayName(`${[...name].slice(0, 32).join("")}…`)} is ${length} characters; ${rule(maxLength)}`);
  }
  return name;
}
