// `check`: every problem of a plan at once — YAML syntax, the schema, unit names, commands,
// readiness checks, locks, dependencies no unit provides and cycles — each at its line and column.
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { findCycles } from "../core/cycles.js";
import { validateUnitName } from "../core/names.js";
import { closest } from "../runner/suggest.js";
import { lockProblem, readyProblem } from "./check-syntax.js";
import { type Plan, type RawUnit, asList, dependenciesOf, planOf } from "./model.js";
import { parseYaml } from "./parse-yaml.js";
import { type Locate, type Problem, hasErrors, sortProblems } from "./problems.js";
import { schemaProblems } from "./schema-check.js";

export interface CheckOptions {
  /** Where relative paths (script, cwd) start. */
  dir: string;
  /**
   * A dependency no unit provides is an error in a plan; beside scripts that register their own
   * units (`up --dir`), it is a warning.
   */
  unknownDependency: "error" | "warning";
}

/** The checks that need the meaning of the data; run on data that passed the schema. */
export function meaningProblems(data: Record<string, unknown>, locate: Locate, options: CheckOptions): Problem[] {
  const problems: Problem[] = [];
  const report = (severity: Problem["severity"], path: (string | number)[], at: "key" | "value", message: string) =>
    problems.push({ ...locate(path, at), severity, message });
  const units = (data.units ?? {}) as Record<string, RawUnit>;
  const names = Object.keys(units);

  for (const [name, raw] of Object.entries(units)) {
    const at = ["units", name];
    try {
      validateUnitName(name);
    } catch (error) {
      report("error", at, "key", `${(error as Error).message}; rename the unit`);
    }
    const hasRun = raw.run !== undefined;
    const hasScript = raw.script !== undefined;
    if (raw.external === true) {
      for (const key of ["run", "script", "ready", "lock", "retries"] as const) {
        if (raw[key] !== undefined) report("error", [...at, key], "key", `unit "${name}" is external, so the plan does not run it and "${key}" means nothing; remove "${key}" or "external"`);
      }
    } else if (hasRun && hasScript) {
      report("error", [...at, "script"], "key", `unit "${name}" has both run and script; keep one`);
    } else if (!hasRun && !hasScript) {
      report("error", at, "key", `unit "${name}" has nothing to run; add run: or script:, or external: true if a script registers it`);
    } else if (typeof raw.script === "string" && !existsSync(resolve(options.dir, raw.script))) {
      report("error", [...at, "script"], "value", `script ${JSON.stringify(raw.script)} does not exist (looked in ${options.dir}); give a path relative to the plan's directory`);
    }
    asList(raw.ready).forEach((check, i) => {
      const problem = readyProblem(String(check));
      if (problem) report("error", [...at, "ready", ...(Array.isArray(raw.ready) ? [i] : [])], "value", problem);
    });
    asList(raw.lock).forEach((request, i) => {
      const problem = lockProblem(String(request));
      if (problem) report("error", [...at, "lock", ...(Array.isArray(raw.lock) ? [i] : [])], "value", problem);
    });
    const mapForm = raw.after !== null && typeof raw.after === "object" && !Array.isArray(raw.after);
    dependenciesOf(raw.after).forEach((dep, i) => {
      const where = mapForm ? [...at, "after", dep.name] : [...at, "after", ...(Array.isArray(raw.after) ? [i] : [])];
      try {
        validateUnitName(dep.name);
      } catch (error) {
        report("error", where, mapForm ? "key" : "value", `${(error as Error).message}; fix the dependency's name`);
        return;
      }
      const provider = units[dep.name];
      if (provider === undefined) {
        const near = closest(dep.name, names);
        const fix = near ? `did you mean "${near}"?` : `add a unit "${dep.name}", or declare it with external: true if a script registers it`;
        report(options.unknownDependency, where, mapForm ? "key" : "value", `unit "${name}" depends on "${dep.name}", which no unit provides; ${fix}`);
      } else if (provider?.external === true) {
        report("warning", where, mapForm ? "key" : "value", `"${dep.name}" is external: nothing in this plan runs it, so "${name}" waits until a script completes it`);
      }
    });
  }

  const dependencies = (name: string) => (units[name] ? dependenciesOf(units[name]!.after).map((d) => d.name) : []);
  for (const cycle of findCycles(dependencies, names)) {
    const [from, to] = [cycle[0]!, cycle[1]!];
    const raw = units[from]!;
    const mapForm = raw.after !== null && typeof raw.after === "object" && !Array.isArray(raw.after);
    const index = dependenciesOf(raw.after).findIndex((d) => d.name === to);
    const where = mapForm ? ["units", from, "after", to] : ["units", from, "after", ...(Array.isArray(raw.after) ? [index] : [])];
    report("error", where, mapForm ? "key" : "value", `cycle detected: ${cycle.join(" -> ")}; remove one of these dependencies`);
  }
  return problems;
}

/** Every problem of plan data, the schema's and the meaning's. */
export function checkData(data: unknown, locate: Locate, options: CheckOptions): Problem[] {
  const schema = schemaProblems(data, locate);
  if (data === null || typeof data !== "object" || Array.isArray(data)) return schema;
  // Meaning checks skip what the schema refused (a unit that is not a mapping, say).
  const units = (data as { units?: unknown }).units;
  const usable = Object.fromEntries(
    Object.entries(units && typeof units === "object" && !Array.isArray(units) ? units : {}).filter(
      ([, v]) => v !== null && typeof v === "object" && !Array.isArray(v),
    ),
  );
  const problems = [...schema, ...meaningProblems({ ...(data as object), units: usable }, locate, options)];
  return dedupe(problems);
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const id = `${p.file}:${p.line}:${p.col}:${p.message}`;
    return seen.has(id) ? false : (seen.add(id), true);
  });
}

export interface Checked {
  problems: Problem[];
  /** Present when there is no error. */
  plan?: Plan;
}

/** Reads, parses and checks a plan file. `shown` is how messages name the file. */
export function checkText(text: string, shown: string, path: string): Checked {
  const dir = dirname(resolve(path));
  const parsed = parseYaml(text, shown);
  if (parsed.data === undefined) return { problems: sortProblems(parsed.problems) };
  const problems = sortProblems([...parsed.problems, ...checkData(parsed.data ?? null, parsed.locate, { dir, unknownDependency: "error" })]);
  if (hasErrors(problems)) return { problems };
  return { problems, plan: planOf(resolve(path), parsed.data as Record<string, unknown>, dir) };
}

export function checkFile(path: string): Checked {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file; give the plan with -f FILE" : code === "EISDIR" ? "is a directory; give the plan file with -f FILE" : (error as Error).message;
    throw new PlanFileError(`${path}: ${why}`);
  }
  return checkText(text, path, path);
}

/** The plan file could not be read at all. */
export class PlanFileError extends Error {}
