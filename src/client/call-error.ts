// A failed call as callers read it (code, details, metadata.get(key) → values), built from the
// agent's trailers or from what went wrong on the connection.
import { Status, statusName } from "./status-codes.js";

type HeaderValue = string | string[] | undefined;

/** Response metadata: each key's values, in order (`-bin` keys decoded to Buffers, as gRPC says). */
export class CallMetadata {
  readonly #values = new Map<string, (string | Buffer)[]>();

  /** The metadata of a header or trailer block; pseudo-headers and the gRPC status keys are left out. */
  static from(headers: Record<string, HeaderValue> | undefined): CallMetadata {
    const out = new CallMetadata();
    for (const [key, raw] of Object.entries(headers ?? {})) {
      if (raw === undefined || key.startsWith(":") || key === "grpc-status" || key === "grpc-message") continue;
      const values = Array.isArray(raw) ? raw : [raw];
      out.#values.set(key, key.endsWith("-bin") ? values.map((v) => Buffer.from(v, "base64")) : values);
    }
    return out;
  }

  get(key: string): (string | Buffer)[] {
    return this.#values.get(key.toLowerCase()) ?? [];
  }

  getMap(): Record<string, string | Buffer> {
    return Object.fromEntries([...this.#values].map(([key, values]) => [key, values[0]!]));
  }
}

/** A call that ended with a status other than OK; message reads as "14 UNAVAILABLE: why". */
export class CallError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
    readonly metadata: CallMetadata = new CallMetadata(),
  ) {
    super(`${code} ${statusName(code)}: ${details}`);
    this.name = "CallError";
  }
}

/**
 * grpc-message is percent-encoded UTF-8. Every %XX becomes its byte; anything else (a stray %)
 * stays as it is, so a message from any server reads as sent.
 */
export function percentDecode(text: string): string {
  if (!text.includes("%")) return text;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text[i] === "%" ? text.slice(i + 1, i + 3) : "";
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 2;
    } else {
      const char = text.codePointAt(i)!;
      if (char > 0xffff) i++;
      bytes.push(...Buffer.from(String.fromCodePoint(char), "utf8"));
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

const first = (value: HeaderValue): string | undefined => (Array.isArray(value) ? value[0] : value);

/** The status a trailer block (or a trailers-only response) carries; undefined when it has none. */
export function statusOf(headers: Record<string, HeaderValue>): { code: number; details: string; metadata: CallMetadata } | undefined {
  const raw = first(headers["grpc-status"]);
  if (raw === undefined) return undefined;
  const code = /^\d+$/.test(raw) ? Number(raw) : Status.UNKNOWN;
  const details = percentDecode(first(headers["grpc-message"]) ?? "");
  return { code, details, metadata: CallMetadata.from(headers) };
}
