// Test helpers: an OTLP/HTTP trace receiver on a free loopback port, and decoding what it got
// with the OTLP protobuf definitions (test/fixtures/otlp-trace.proto).
import { type IncomingHttpHeaders, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { ExecutionContext } from "ava";
import protobuf from "protobufjs";
import { ROOT } from "./cli.js";

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Resolves with the n-th request (1-based) once it has arrived. */
  nth(n: number, limitMs?: number): Promise<Received>;
}

export async function otlpReceiver(t: ExecutionContext): Promise<Receiver> {
  const received: Received[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ path: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks) });
      response.writeHead(200, { "content-type": "application/x-protobuf" });
      response.end();
      for (const wake of waiters.splice(0)) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const nth = async (n: number, limitMs = 45_000) => {
    const until = Date.now() + limitMs;
    while (received.length < n) {
      if (Date.now() > until) throw new Error(`no OTLP request #${n} within ${limitMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
    return received[n - 1]!;
  };
  return { url: `http://127.0.0.1:${port}`, received, nth };
}

export interface DecodedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, unknown>;
  status: { code: number; message: string };
}

export interface DecodedTrace {
  resource: Record<string, unknown>;
  scope: string;
  spans: DecodedSpan[];
}

const root = protobuf.loadSync(join(ROOT, "test", "fixtures", "otlp-trace.proto"));
const Request = root.lookupType("opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest");

function value(v: any): unknown {
  if (v === undefined || v === null) return undefined;
  if ("stringValue" in v) return v.stringValue;
  if ("boolValue" in v) return v.boolValue;
  if ("intValue" in v) return Number(v.intValue);
  if ("doubleValue" in v) return v.doubleValue;
  if ("arrayValue" in v) return (v.arrayValue.values ?? []).map(value);
  return undefined;
}

const attributes = (list: any[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key, value(kv.value)]));
const hex = (b64: string | undefined) => Buffer.from(b64 ?? "", "base64").toString("hex");

/** An OTLP/HTTP protobuf ExportTraceServiceRequest body. */
export function decodeTrace(body: Uint8Array): DecodedTrace {
  const message = Request.toObject(Request.decode(body), { longs: String, bytes: String }) as any;
  const resourceSpans = message.resourceSpans ?? [];
  if (resourceSpans.length !== 1) throw new Error(`expected one ResourceSpans, got ${resourceSpans.length}`);
  const scopeSpans = resourceSpans[0].scopeSpans ?? [];
  if (scopeSpans.length !== 1) throw new Error(`expected one ScopeSpans, got ${scopeSpans.length}`);
  return {
    resource: attributes(resourceSpans[0].resource?.attributes),
    scope: scopeSpans[0].scope?.name ?? "",
    spans: (scopeSpans[0].spans ?? []).map((s: any) => ({
      traceId: hex(s.traceId),
      spanId: hex(s.spanId),
      parentSpanId: hex(s.parentSpanId),
      name: s.name,
      startNs: BigInt(s.startTimeUnixNano),
      endNs: BigInt(s.endTimeUnixNano),
      attributes: attributes(s.attributes),
      status: { code: s.status?.code ?? 0, message: s.status?.message ?? "" },
    })),
  };
}
