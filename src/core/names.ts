// Unit-name validation: the one rule every entry point applies before touching state.
import { InvalidName } from "./errors.js";

export const MAX_NAME_LENGTH = 128;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._\-:/@+]*$/;
const RULE = `a unit name is 1-${MAX_NAME_LENGTH} characters from A-Z a-z 0-9 . _ - : / @ +, starting with a letter or digit`;

/** Throws InvalidName, with a one-line message naming the rule, unless `name` is a valid unit name. */
export function validateUnitName(name: string): string {
  if (name.length === 0) throw new InvalidName(`unit name is empty; ${RULE}`);
  if (name.length > MAX_NAME_LENGTH) {
    throw new InvalidName(`unit name ${JSON.stringify(`${name.slice(0, 32)}…`)} is ${name.length} characters; ${RULE}`);
  }
  if (!NAME.test(name)) throw new InvalidName(`invalid unit name ${JSON.stringify(name)}: ${RULE}`);
  return name;
}
