// Reads a plan file with the `yaml` package, keeping the line and column of every key and value.
import { LineCounter, type Node, isMap, isPair, isScalar, isSeq, parseDocument } from "yaml";
import type { Locate, Location, Path, Problem } from "./problems.js";

export interface ParsedYaml {
  /** The plain data, or undefined when the file is not valid YAML. */
  data: unknown;
  locate: Locate;
  /** YAML syntax errors and warnings. */
  problems: Problem[];
}

export function parseYaml(text: string, file: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): Location => {
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, col };
  };
  const problems: Problem[] = [];
  for (const [severity, list] of [["error", doc.errors], ["warning", doc.warnings]] as const) {
    for (const error of list) {
      const what = error.message.split("\n")[0]!.replace(/\.$/, "");
      const fix = error.code === "DUPLICATE_KEY" ? "give each key once" : "fix the YAML syntax";
      problems.push({ ...at(error.pos[0]), severity, message: `${lowerFirst(what)}; ${fix}` });
    }
  }
  const locate: Locate = (path: Path, where) => {
    let node: unknown = doc.contents;
    let found = at(rangeStart(node) ?? 0);
    for (const [index, segment] of path.entries()) {
      const last = index === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
        if (!pair) return found;
        if (last && where === "key") return at(rangeStart(pair.key) ?? rangeStart(node) ?? 0);
        node = pair.value;
        found = at(rangeStart(pair.value) ?? rangeStart(pair.key) ?? 0);
      } else if (isSeq(node)) {
        const item = node.items[Number(segment)];
        if (item === undefined) return found;
        node = item;
        found = at(rangeStart(item) ?? 0);
      } else {
        return found;
      }
    }
    return found;
  };
  const data = doc.errors.length > 0 ? undefined : doc.toJS({ maxAliasCount: 1000 });
  return { data, locate, problems };
}

function rangeStart(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}

function keyText(key: unknown): string {
  return isScalar(key) ? String(key.value) : String(key);
}

const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);
