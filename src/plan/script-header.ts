// Script headers: a script in an `up --dir` folder may declare itself as a unit in a comment,
// `# unitsync: after=git-clone lock=dpkg ready=tcp:8080`, checked like a plan entry.
import { readFileSync } from "node:fs";
import { basename, dirname, extname } from "node:path";
import { checkData } from "./check.js";
import { type Plan, type PlanUnit, unitOf } from "./model.js";
import type { Locate, Location, Path, Problem } from "./problems.js";
import { sortProblems } from "./problems.js";

/** Keys whose value is a comma-separated list; `ready` repeats instead (a pattern may hold commas). */
const LISTS = new Set(["after", "lock"]);
const HEADER = /^(#\s*unitsync:)(.*)$/;
/** Headers are read from the first lines only, so a script's body is never mistaken for one. */
const HEADER_LINES = 20;

export interface ScriptHeader {
  path: string;
  /** The unit: the file's name without its extension. */
  name: string;
  /** The header as plan data (the keys as written, so the schema words unknown ones). */
  raw: Record<string, unknown>;
  /** Position of each key and value, by path joined with "/" ("ready/1", "after", "after#"). */
  positions: Map<string, Location>;
}

export const unitNameOfScript = (path: string) => basename(path, extname(path)) || basename(path);

/** The header of the script at `path`, or undefined if it has none. */
export function readHeader(path: string, text = readFileSync(path, "utf8")): ScriptHeader | undefined {
  const raw: Record<string, unknown> = {};
  const positions = new Map<string, Location>();
  let found = false;
  text.split("\n").slice(0, HEADER_LINES).forEach((line, index) => {
    const match = HEADER.exec(line);
    if (!match) return;
    if (!found) positions.set("", { file: path, line: index + 1, col: 1 });
    found = true;
    const at = (offset: number): Location => ({ file: path, line: index + 1, col: offset + 1 });
    for (const token of match[2]!.matchAll(/\S+/g)) {
      const start = match[1]!.length + token.index!;
      const equals = token[0].indexOf("=");
      const key = equals < 0 ? token[0] : token[0].slice(0, equals);
      const value = equals < 0 ? "" : token[0].slice(equals + 1);
      positions.set(key, at(start));
      positions.set(`${key}#`, at(start + equals + 1));
      if (LISTS.has(key)) {
        const items = value.split(",");
        let offset = start + equals + 1;
        const list = (raw[key] as string[] | undefined) ?? [];
        for (const item of items) {
          positions.set(`${key}/${list.length}`, at(offset));
          list.push(item);
          offset += item.length + 1;
        }
        raw[key] = list;
      } else if (key === "ready") {
        const list = (raw[key] as string[] | undefined) ?? [];
        positions.set(`ready/${list.length}`, at(start + equals + 1));
        raw[key] = [...list, value];
      } else {
        raw[key] = key === "retries" && /^\d+$/.test(value) ? Number(value) : value;
      }
    }
  });
  return found ? { path, name: unitNameOfScript(path), raw, positions } : undefined;
}

export interface CheckedScripts {
  problems: Problem[];
  /** The scripts with a header, as plan units (present when there is no error). */
  plan?: Plan;
}

/** Checks the headers of `paths` together, as one plan; scripts without a header take no part. */
export function checkScripts(paths: readonly string[]): CheckedScripts {
  const headers = paths.map((path) => readHeader(path)).filter((h): h is ScriptHeader => h !== undefined);
  if (headers.length === 0) return { problems: [], plan: { file: dirname(paths[0] ?? "."), budgetMs: 0, env: {}, units: [] } };
  const byName = new Map(headers.map((h) => [h.name, h]));
  const locate: Locate = (path: Path, at) => {
    const header = byName.get(String(path[1]));
    const fallback = header?.positions.get("") ?? { file: String(path[1]), line: 1, col: 1 };
    if (!header || path.length < 3) return fallback;
    const rest = path.slice(2).join("/");
    return header.positions.get(at === "value" && path.length === 3 ? `${rest}#` : rest) ?? header.positions.get(String(path[2])) ?? fallback;
  };
  const units = Object.fromEntries(headers.map((h) => [h.name, { ...h.raw, script: h.path }]));
  const problems = sortProblems(checkData({ units }, locate, { dir: dirname(paths[0] ?? "."), unknownDependency: "warning" }));
  if (problems.some((p) => p.severity === "error")) return { problems };
  // A header script runs where `up` runs, as the scripts without a header do.
  const planUnits: PlanUnit[] = headers.map((h) => ({ ...unitOf(h.name, { ...h.raw, script: h.path }, process.cwd()), command: [h.path] }));
  return { problems, plan: { file: dirname(paths[0] ?? "."), budgetMs: 0, env: {}, units: planUnits } };
}
