// Readiness checks as written on the command line ("tcp:8080", "log:listening", "notify") → what
// each one checks; a spec that cannot work is refused before anything runs.

export type CheckDefinition =
  | { kind: "tcp"; spec: string; host: string; port: number }
  | { kind: "http"; spec: string; url: URL }
  | { kind: "file"; spec: string; path: string }
  | { kind: "log"; spec: string; pattern: RegExp }
  | { kind: "exec"; spec: string; command: string }
  | { kind: "notify"; spec: string };

/** A readiness check that is not well formed; the message says what to write instead. */
export class ReadinessSyntaxError extends Error {}

const FORMS = "tcp:PORT, tcp:HOST:PORT, http://URL, https://URL, file:PATH, log:REGEX, exec:COMMAND or notify";

function port(text: string, spec: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(value >= 1 && value <= 65_535)) throw new ReadinessSyntaxError(`--ready ${spec}: "${text}" is not a port; use 1-65535`);
  return value;
}

function tcp(rest: string, spec: string): CheckDefinition {
  const bracketed = /^\[([^\]]+)\]:(.*)$/.exec(rest); // tcp:[::1]:8080
  if (bracketed) return { kind: "tcp", spec, host: bracketed[1]!, port: port(bracketed[2]!, spec) };
  const colon = rest.lastIndexOf(":");
  if (colon < 0) return { kind: "tcp", spec, host: "localhost", port: port(rest, spec) };
  const host = rest.slice(0, colon);
  if (!host) throw new ReadinessSyntaxError(`--ready ${spec}: no host before ":"; write tcp:PORT or tcp:HOST:PORT`);
  return { kind: "tcp", spec, host, port: port(rest.slice(colon + 1), spec) };
}

export function parseCheck(spec: string): CheckDefinition {
  const colon = spec.indexOf(":");
  const kind = colon < 0 ? spec : spec.slice(0, colon);
  const rest = colon < 0 ? "" : spec.slice(colon + 1);
  const need = (what: string) => {
    if (!rest) throw new ReadinessSyntaxError(`--ready ${spec}: nothing after "${kind}:"; write ${kind}:${what}`);
  };
  switch (kind) {
    case "tcp":
      need("PORT");
      return tcp(rest, spec);
    case "http":
    case "https": {
      let url: URL;
      try {
        url = new URL(spec);
      } catch {
        throw new ReadinessSyntaxError(`--ready ${spec}: not a URL; write ${kind}://HOST:PORT/PATH`);
      }
      if (!url.host) throw new ReadinessSyntaxError(`--ready ${spec}: no host; write ${kind}://HOST:PORT/PATH`);
      return { kind: "http", spec, url };
    }
    case "file":
      need("PATH");
      return { kind: "file", spec, path: rest };
    case "log": {
      need("REGEX");
      try {
        return { kind: "log", spec, pattern: new RegExp(rest) };
      } catch (error) {
        throw new ReadinessSyntaxError(`--ready ${spec}: not a regular expression: ${(error as Error).message}`);
      }
    }
    case "exec":
      need("COMMAND");
      return { kind: "exec", spec, command: rest };
    case "notify":
      if (colon >= 0) throw new ReadinessSyntaxError(`--ready ${spec}: notify takes nothing after it; write notify`);
      return { kind: "notify", spec };
    default:
      throw new ReadinessSyntaxError(`--ready ${spec}: unknown check; use ${FORMS}`);
  }
}
