// The syntax of readiness checks and lock requests as a plan (or a script header) writes them.
import { validateUnitName } from "../core/names.js";

const READY_FORMS = "use tcp:PORT, tcp:HOST:PORT, http://…, https://…, file:PATH, log:REGEX, exec:COMMAND or notify";

/** Why `check` is not a readiness check, or undefined if it is one. */
export function readyProblem(check: string): string | undefined {
  if (check === "notify") return undefined;
  const colon = check.indexOf(":");
  const kind = colon < 0 ? check : check.slice(0, colon);
  const rest = colon < 0 ? "" : check.slice(colon + 1);
  switch (kind) {
    case "tcp": {
      const match = /^(?:(\[[^\]]+\]|[^:\s]+):)?(\d+)$/.exec(rest);
      if (!match) return `readiness check "${check}" is not tcp:PORT or tcp:HOST:PORT; write e.g. tcp:8080 or tcp:127.0.0.1:5432`;
      const port = Number(match[2]);
      if (port < 1 || port > 65535) return `readiness check "${check}": port ${match[2]} is outside 1-65535; give a real port`;
      return undefined;
    }
    case "http":
    case "https":
      try {
        const url = new URL(check);
        if (!url.hostname) throw new Error("no host");
        return undefined;
      } catch {
        return `readiness check "${check}" is not a valid URL; write e.g. ${kind}://127.0.0.1:8080/healthz`;
      }
    case "file":
      return rest ? undefined : `readiness check "${check}" names no file; write file:PATH`;
    case "exec":
      return rest.trim() ? undefined : `readiness check "${check}" names no command; write exec:COMMAND`;
    case "log":
      if (!rest) return `readiness check "${check}" has no pattern; write log:REGEX, e.g. log:listening on`;
      try {
        new RegExp(rest);
        return undefined;
      } catch (error) {
        return `readiness check "${check}": the pattern does not compile (${(error as Error).message.replace(/^Invalid regular expression: /, "")}); fix the regular expression`;
      }
    default:
      return `unknown readiness check "${check}"; ${READY_FORMS}`;
  }
}

/** Why `request` is not NAME or NAME:CAPACITY, or undefined if it is. */
export function lockProblem(request: string): string | undefined {
  const match = /^(.*?)(?::(\d+))?$/.exec(request)!;
  const [, name = "", capacity] = match;
  try {
    validateUnitName(name);
  } catch (error) {
    return `lock "${request}": ${(error as Error).message.replace(/unit name/g, "lock name")}`;
  }
  if (capacity !== undefined && Number(capacity) < 1) return `lock "${request}": capacity must be at least 1; write NAME:CAPACITY with CAPACITY ≥ 1`;
  return undefined;
}
