// Checks plan data against the JSON Schema (schema/unitsync.schema.json, the one definition of
// the file) with ajv, and words each violation as `what is wrong; what to do` at its place.
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { closest } from "../runner/suggest.js";
import { DURATION_FORMS } from "../core/duration.js";
import schema from "../../schema/unitsync.schema.json" with { type: "json" };
import type { Locate, Path, Problem } from "./problems.js";

export { schema };

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, verbose: true, strict: false }).compile(schema);
  return compiled;
}

/** JSON pointer → path segments. */
function pathOf(pointer: string): string[] {
  return pointer === "" ? [] : pointer.slice(1).split("/").map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** How a path reads in a message: `unit "db": ready[0]`, `budget`, or `the plan`. */
export function describePath(path: Path): string {
  if (path.length === 0) return "the plan";
  const inner = (rest: Path) => rest.map((s, i) => (i > 0 && /^\d+$/.test(String(s)) ? `[${s}]` : i > 0 ? `.${s}` : String(s))).join("");
  if (path[0] === "units" && path.length >= 2) {
    const unit = `unit ${JSON.stringify(String(path[1]))}`;
    return path.length === 2 ? unit : `${unit}: ${inner(path.slice(2))}`;
  }
  return inner(path);
}

const TYPE_WORDS: Record<string, string> = {
  string: "a string",
  number: "a number",
  integer: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
};

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "number") return Number.isInteger(value) ? "a whole number" : "a number";
  return `a ${typeof value}`;
}

const EXAMPLES: Record<string, string> = {
  run: 'write run: "make build" or run: [make, build]',
  script: "write script: ./setup.sh",
  after: "write after: [a, b] or after: { a: completed, b: finished }",
  ready: 'write ready: "tcp:8080" or ready: ["tcp:8080", "http://127.0.0.1:8080/"]',
  lock: "write lock: [dpkg] or lock: dpkg",
  retries: "write retries: 2",
  external: "write external: true",
  env: "write env: { NAME: value }",
  units: "write units: with one entry per unit, e.g. units: { build: { run: make } }",
};

function message(error: ErrorObject, path: string[]): { path: Path; at: "key" | "value"; text: string } | undefined {
  const where = describePath(path);
  const key = path.at(-1) ?? "";
  switch (error.keyword) {
    case "additionalProperties": {
      const unknown = String(error.params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object }).properties ?? {});
      const near = closest(unknown, known);
      const inside = path.length === 0 ? "at the top level" : `in ${where}`;
      const fix = near ? `did you mean "${near}"?` : `use one of ${known.join(", ")}`;
      return { path: [...path, unknown], at: "key", text: `unknown key "${unknown}" ${inside}; ${fix}` };
    }
    case "required": {
      const missing = String(error.params.missingProperty);
      return { path, at: "value", text: `${where} has no "${missing}"; ${EXAMPLES[missing] ?? `add ${missing}:`}` };
    }
    case "type": {
      const wanted = String(error.params.type).split(",").map((t) => TYPE_WORDS[t] ?? t);
      const fix = EXAMPLES[key] ?? (error.schemaPath.includes("duration") ? DURATION_FORMS : `give ${wanted.join(" or ")}`);
      return { path, at: "value", text: `${where} must be ${wanted.join(" or ")}, not ${typeOf(error.data)}; ${fix}` };
    }
    case "pattern":
    case "minimum":
      if (error.schemaPath.includes("duration")) return { path, at: "value", text: `${where}: invalid duration "${String(error.data)}"; ${DURATION_FORMS}` };
      return { path, at: "value", text: `${where} ${error.message}` };
    case "enum": {
      const allowed = (error.params.allowedValues as string[]).map(String);
      const near = closest(String(error.data), allowed);
      return {
        path,
        at: "value",
        text: `${where}: "${String(error.data)}" is not a condition; ${near ? `did you mean "${near}"? ` : ""}use ${allowed.join(", ")}`,
      };
    }
    case "minLength":
    case "minItems":
    case "minProperties":
      return { path, at: "value", text: `${where} is empty; ${EXAMPLES[key] ?? "give a value or remove the key"}` };
    default:
      return { path, at: "value", text: `${where} ${error.message ?? "is invalid"}; see schema/unitsync.schema.json` };
  }
}

/** Every violation of the schema in `data`, each once, at its place. */
export function schemaProblems(data: unknown, locate: Locate): Problem[] {
  const validate = validator();
  if (validate(data)) return [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const worded = message(error, pathOf(error.instancePath));
    if (!worded) continue;
    const id = `${worded.path.join("\u0000")}\u0001${worded.text}`;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push({ ...locate(worded.path, worded.at), severity: "error", message: worded.text });
  }
  return problems;
}
