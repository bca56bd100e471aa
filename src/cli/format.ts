// Output formatting shared by the verbs: aligned tables, JSON, and bracketed name lists.
import { ExitCode } from "../client/exit-codes.js";
import { displayWidth } from "../view/display-width.js";
import { CommandError } from "./io.js";

/**
 * Columns separated by two spaces, padded to the widest cell; no trailing spaces. `paint` may
 * wrap a padded body cell (in colour, say) without skewing the alignment.
 */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  paint: (padded: string, cell: string, column: number) => string = (padded) => padded,
): string {
  const widths = header.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ""))));
  const pad = (c: string, i: number, last: boolean) => (last ? c : c + " ".repeat(Math.max(0, widths[i]! - displayWidth(c))));
  const headerLine = header.map((c, i) => pad(c, i, i === header.length - 1)).join("  ").trimEnd();
  const bodyLine = (cells: readonly string[]) =>
    cells.map((c, i) => paint(pad(c, i, i === cells.length - 1), c, i)).join("  ").trimEnd();
  return [headerLine, ...rows.map(bodyLine)].join("\n") + "\n";
}

export const json = (value: unknown): string => JSON.stringify(value, null, 2) + "\n";

/** `[a, b]`, as coder exp sync prints dependency lists. */
export const bracketList = (names: readonly string[]): string => `[${names.join(", ")}]`;

export function outputFormat(value: unknown, allowed: readonly string[] = ["table", "json"]): string {
  const format = value === undefined ? allowed[0]! : String(value);
  if (!allowed.includes(format)) {
    throw new CommandError(`-o ${format}: unknown output format; use ${allowed.join(" or ")}`, ExitCode.usage);
  }
  return format;
}
