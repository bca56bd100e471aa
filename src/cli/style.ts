// Terminal styling: colour only on a TTY and never with NO_COLOR set.
import type { Io, Output } from "./io.js";

const CODES: Record<string, string> = {
  completed: "32", // green
  started: "36", // cyan
  pending: "33", // yellow
  failed: "31", // red
  "not registered": "90", // grey
};

export function useColor(io: Io, output: Output = io.stdout): boolean {
  return Boolean(output.isTTY) && io.env.NO_COLOR === undefined && io.env.TERM !== "dumb";
}

/** `text` coloured by the status it names, when colour is on. */
export function paintStatus(text: string, status: string, color: boolean): string {
  const code = CODES[status];
  return color && code ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** Clears the screen and homes the cursor before a redraw. */
export const CLEAR_SCREEN = "\x1b[H\x1b[2J";
