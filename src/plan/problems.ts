// What `check` reports: a problem at a place in a file, printed `FILE:LINE:COL: what; what to do`.

export interface Location {
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
}

export interface Problem extends Location {
  severity: "error" | "warning";
  /** What is wrong; what to do. */
  message: string;
}

/** A path into the plan's data: keys and list indexes, as in `units.db.ready[0]`. */
export type Path = readonly (string | number)[];

/** Where a part of the plan was written: at its key, or at its value. */
export type Locate = (path: Path, at: "key" | "value") => Location;

/** Control characters (a name with a tab, say) are shown escaped, so each problem stays one line. */
const visible = (text: string) => text.replace(/[\p{Cc}]/gu, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);

export function formatProblem(problem: Problem): string {
  return `${problem.file}:${problem.line}:${problem.col}: ${problem.severity === "warning" ? "warning: " : ""}${visible(problem.message)}`;
}

/** In file order, so a reader fixes them top to bottom. */
export function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}

export const hasErrors = (problems: readonly Problem[]) => problems.some((p) => p.severity === "error");
