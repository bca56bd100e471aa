// The client's own HTTP/2 (h2-session.ts, hpack.ts, huffman.ts): RFC 7541's examples, and a real
// node:http2 server as the other side, read back by node's own client where it is the reference.
import { type ServerHttp2Stream, connect as connectNode, createServer } from "node:http2";
import { connect as connectNet } from "node:net";
import { join } from "node:path";
import test from "ava";
import { H2Session, type H2Stream } from "../src/client/h2-session.js";
import { HpackDecoder, HpackError, encodeHeaders, type HeaderBlock } from "../src/client/hpack.js";
import { HuffmanError, huffmanDecode } from "../src/client/huffman.js";
import { tempDir } from "./helpers/agent.js";

const hex = (text: string) => Buffer.from(text.replace(/\s/g, ""), "hex");

test("Huffman: RFC 7541 C.4 and C.6 strings; bad padding and EOS are refused", (t) => {
  const cases: [string, string][] = [
    ["f1e3 c2e5 f23a 6ba0 ab90 f4ff", "www.example.com"],
    ["a8eb 1064 9cbf", "no-cache"],
    ["25a8 49e9 5ba9 7d7f", "custom-key"],
    ["25a8 49e9 5bb8 e8b4 bf", "custom-value"],
    ["6402", "302"],
    ["aec3 771a 4b", "private"],
    ["d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff", "Mon, 21 Oct 2013 20:13:21 GMT"],
    ["9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3", "https://www.example.com"],
  ];
  for (const [code, text] of cases) t.is(huffmanDecode(hex(code)).toString("latin1"), text);
  t.throws(() => huffmanDecode(hex("f1e3 c2e5 f23a 6ba0 ab90 f4fe")), { instanceOf: HuffmanError }); // padding not all ones
  t.throws(() => huffmanDecode(hex("ffff ffff")), { instanceOf: HuffmanError }); // EOS
  t.throws(() => huffmanDecode(hex("6402 ff")), { instanceOf: HuffmanError }); // 8 bits of padding
});

test("HPACK: RFC 7541 C.3 and C.4, three blocks through one dynamic table, plain and Huffman-coded", (t) => {
  const expected: HeaderBlock[] = [
    { ":method": "GET", ":scheme": "http", ":path": "/", ":authority": "www.example.com" },
    { ":method": "GET", ":scheme": "http", ":path": "/", ":authority": "www.example.com", "cache-control": "no-cache" },
    { ":method": "GET", ":scheme": "https", ":path": "/index.html", ":authority": "www.example.com", "custom-key": "custom-value" },
  ];
  const plain = new HpackDecoder();
  const blocks = ["8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", "8286 84be 5808 6e6f 2d63 6163 6865", "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"];
  blocks.forEach((block, i) => t.deepEqual(plain.decode(hex(block)), expected[i]));
  const huffman = new HpackDecoder();
  const coded = ["8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", "8286 84be 5886 a8eb 1064 9cbf", "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"];
  coded.forEach((block, i) => t.deepEqual(huffman.decode(hex(block)), expected[i]));
  // A size update to 0 empties the table: index 62 is gone.
  t.throws(() => plain.decode(hex("20 be")), { instanceOf: HpackError, message: /past the table/ });
  t.throws(() => new HpackDecoder().decode(hex("3fe2 1f")), { instanceOf: HpackError, message: /exceeds 4096/ });
  t.throws(() => new HpackDecoder().decode(hex("0f")), { instanceOf: HpackError });
  t.throws(() => new HpackDecoder().decode(hex("80")), { instanceOf: HpackError, message: /index 0/ });
});

test("HPACK: what the client encodes, a decoder reads back", (t) => {
  const headers: [string, string][] = [[":method", "POST"], [":scheme", "http"], [":path", "/unitsync.v1.UnitSync/Ping"], [":authority", "localhost"], ["content-type", "application/grpc"], ["te", "trailers"], ["grpc-timeout", "99999999m"], ["x-long", "v".repeat(300)]];
  t.deepEqual(new HpackDecoder().decode(encodeHeaders(headers)), Object.fromEntries(headers));
});

/** A node:http2 server on a socket in a temp dir, answering each stream with `answer`. */
async function server(t: import("ava").ExecutionContext, answer: (stream: ServerHttp2Stream, headers: Record<string, unknown>) => void): Promise<string> {
  const socketPath = join(tempDir(t), "h2.sock");
  const h2 = createServer();
  h2.on("stream", (stream, headers) => {
    stream.on("error", () => {}); // a stream the test resets
    answer(stream, headers);
  });
  await new Promise<void>((resolve) => h2.listen(socketPath, resolve));
  t.teardown(() => new Promise<void>((resolve) => h2.close(() => resolve())));
  return socketPath;
}

interface Result {
  headers: HeaderBlock[];
  data: Buffer;
  rstCode: number | undefined;
}

interface RequestOptions {
  path?: string;
  headers?: [string, string][];
  onStream?: (stream: H2Stream) => void;
}

/** One request on `session`: what came back, once the stream has closed. */
function request(session: H2Session, body: Buffer, options: RequestOptions = {}): Promise<Result> {
  return new Promise((resolve) => {
    const result: Result = { headers: [], data: Buffer.alloc(0), rstCode: undefined };
    const headers: [string, string][] = [[":method", "POST"], [":scheme", "http"], [":path", options.path ?? "/x"], [":authority", "localhost"], ...(options.headers ?? [])];
    const stream: H2Stream = session.request(headers, body, {
      headers: (block) => result.headers.push(block),
      data: (chunk) => (result.data = Buffer.concat([result.data, chunk])),
      close: () => resolve({ ...result, rstCode: stream.rstCode }),
    });
    options.onStream?.(stream);
  });
}

const session = (t: import("ava").ExecutionContext, socketPath: string) => {
  const s = new H2Session(socketPath, { goaway: () => {}, close: () => {} });
  t.teardown(() => s.destroy());
  return s;
};

test("every byte a header value may hold, Huffman-coded or not, and a dynamic table over many streams, reads as node's client reads it", async (t) => {
  const bytes = [9, ...Array.from({ length: 95 }, (_, i) => 32 + i), ...Array.from({ length: 128 }, (_, i) => 128 + i)];
  // Each value is mostly short codes with one byte of interest, so nghttp2 Huffman-codes it.
  const values = bytes.map((b) => `eeeeeeeeeeeeeeeeeeee${String.fromCharCode(b)}aaaa`);
  const socketPath = await server(t, (stream, headers) => {
    const i = Number(headers["x-i"] ?? 0);
    stream.respond({ ":status": 200, "x-value": values[i]!, "x-same": "repeated on every stream" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "x-many": ["one", "two"] }));
    stream.end(`answer ${i}`);
  });
  const mine = session(t, socketPath);
  const node = connectNode("http://localhost", { createConnection: () => connectNet(socketPath) });
  t.teardown(() => node.destroy());
  for (let i = 0; i < values.length; i++) {
    const result = await request(mine, Buffer.from("q"), { headers: [["x-i", String(i)]] });
    const reference = await new Promise<string>((resolve) => {
      const r = node.request({ ":method": "POST", ":path": "/x", "x-i": String(i) });
      r.on("response", (h) => resolve(String(h["x-value"])));
      r.resume();
      r.end("q");
    });
    t.is(result.headers[0]!["x-value"], reference, `byte ${bytes[i]}`);
    t.is(result.headers[0]!["x-same"], "repeated on every stream");
    t.deepEqual(result.headers[1], { "grpc-status": "0", "x-many": ["one", "two"] });
    t.is(result.data.toString(), `answer ${i}`);
    t.is(result.rstCode, undefined);
  }
});

test("a request larger than the agent's windows waits for WINDOW_UPDATE; a 4 MiB answer is read whole", async (t) => {
  const socketPath = await server(t, (stream) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", () => {
      const got = Buffer.concat(chunks);
      stream.respond({ ":status": 200 });
      stream.end(Buffer.concat([Buffer.from(`${got.length} ${got[got.length - 1]}|`), Buffer.alloc(4 << 20, 7)]));
    });
  });
  const s = session(t, socketPath);
  const body = Buffer.alloc(300_000, 1);
  body[body.length - 1] = 9;
  const result = await request(s, body);
  t.is(result.data.subarray(0, result.data.indexOf("|")).toString(), "300000 9");
  t.is(result.data.length - result.data.indexOf("|") - 1, 4 << 20);
});

test("a paused stream stops the agent at its window and resumes in order", async (t) => {
  let written = 0;
  let blocked!: () => void;
  const stalled = new Promise<void>((resolve) => (blocked = resolve));
  const socketPath = await server(t, (stream) => {
    stream.respond({ ":status": 200 });
    const chunk = Buffer.alloc(64 << 10, 1);
    const pump = () => {
      while (written < 8 << 20) {
        written += chunk.length;
        if (!stream.write(chunk)) return void blocked();
      }
      stream.end();
    };
    stream.on("drain", pump);
    pump();
  });
  const s = session(t, socketPath);
  let paused!: H2Stream;
  const done = request(s, Buffer.from("q"), { onStream: (stream) => (paused = stream) });
  paused.pause();
  await stalled;
  // Node's server buffers what the window does not let through: the client's window is 64 KiB.
  t.true(written < 8 << 20, `${written}`);
  paused.resume();
  const result = await done;
  t.is(result.data.length, 8 << 20);
});

test("a trailer block past one frame arrives in CONTINUATION; the agent's RST_STREAM code, PING and GOAWAY reach the client", async (t) => {
  let goaway: (() => void) | undefined;
  let pinged!: (ok: boolean) => void;
  const pong = new Promise<boolean>((resolve) => (pinged = resolve));
  const socketPath = await server(t, (stream, headers) => {
    if (headers[":path"] === "/reset") return void stream.close(11);
    if (headers[":path"] === "/goaway") {
      goaway = () => stream.session!.goaway(0, stream.id);
      return void stream.session!.ping((error) => pinged(!error));
    }
    stream.respond({ ":status": 200 }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "x-big": "b".repeat(40_000) }));
    stream.end("x");
  });
  const s = session(t, socketPath);
  const big = await request(s, Buffer.from("q"));
  t.is((big.headers[1]!["x-big"] as string).length, 40_000);
  const reset = await request(s, Buffer.from("q"), { path: "/reset" });
  t.is(reset.rstCode, 11);
  const goneAway = new Promise<void>((resolve) => {
    const s2 = new H2Session(socketPath, { goaway: resolve, close: () => {} });
    t.teardown(() => s2.destroy());
    void request(s2, Buffer.from("q"), { path: "/goaway" });
    const wait = setInterval(() => goaway && (clearInterval(wait), goaway()), 5);
  });
  await goneAway;
  t.true(await pong, "the client answers the agent's PING");
});

test("HPACK: an integer longer than any limit, and names such as __proto__, are read safely", (t) => {
  const long = Buffer.concat([hex("0001 617f"), Buffer.alloc(200, 0x80), hex("00")]);
  t.throws(() => new HpackDecoder().decode(long), { instanceOf: HpackError, message: /too long/ });
  const block = new HpackDecoder().decode(encodeHeaders([["__proto__", "a"], ["__proto__", "b"], ["constructor", "c"]]));
  t.deepEqual(Object.getOwnPropertyDescriptor(block, "__proto__")?.value, ["a", "b"]);
  t.is((block as Record<string, unknown>)["constructor"], "c");
  t.is(Object.getPrototypeOf(block), null);
  t.deepEqual({ ...new HpackDecoder().decode(encodeHeaders([["X-Upper", "v"]])) }, { "x-upper": "v" }, "names go out lowercase");
});

/**
 * A raw HTTP/2 peer on a Unix socket: it sends SETTINGS, then for each frame of the client the
 * frames `answer` returns (for a HEADERS frame: the answer to that request), written at once.
 */
async function rawServer(t: import("ava").ExecutionContext, answer: (stream: number, type: number) => Buffer[]): Promise<string> {
  const { createServer: createNetServer } = await import("node:net");
  const { FrameSplitter, frame: makeFrame } = await import("../src/client/h2-frames.js");
  const socketPath = join(tempDir(t), "raw.sock");
  const server = createNetServer((socket) => {
    socket.on("error", () => {});
    socket.write(makeFrame(0x4, 0, 0));
    let preface = true;
    const frames = new FrameSplitter();
    socket.on("data", (chunk: Buffer) => {
      if (preface) {
        chunk = chunk.subarray(24);
        preface = false;
      }
      for (const f of frames.push(chunk)) if (!socket.destroyed) socket.write(Buffer.concat(answer(f.stream, f.type)));
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return socketPath;
}

test("RST_STREAM NO_ERROR after a whole answer keeps what a paused stream has not read yet (RFC 9113, 8.1)", async (t) => {
  const { frame: makeFrame } = await import("../src/client/h2-frames.js");
  const trailers = Buffer.concat([hex("00 0b"), Buffer.from("grpc-status"), hex("01"), Buffer.from("0")]);
  const socketPath = await rawServer(t, (id, type) => type !== 0x1 ? [] : [
    makeFrame(0x1, 0x4, id, hex("88")), // :status 200
    makeFrame(0x0, 0, id, Buffer.alloc(100, 1)),
    makeFrame(0x0, 0, id, Buffer.alloc(100, 2)),
    makeFrame(0x1, 0x5, id, trailers),
    makeFrame(0x3, 0, id, Buffer.alloc(4)), // RST_STREAM NO_ERROR
  ]);
  const s = session(t, socketPath);
  let first = true;
  let paused!: H2Stream;
  const result = await request(s, Buffer.from("q"), { onStream: (stream) => {
    paused = stream;
    const events = (stream as unknown as { events: { data: (c: Buffer) => void } }).events;
    const data = events.data;
    events.data = (chunk) => {
      data(chunk);
      if (!first) return;
      first = false;
      paused.pause();
      setTimeout(() => paused.resume(), 50);
    };
  } });
  t.is(result.data.length, 200);
  t.deepEqual(result.headers[1], { "grpc-status": "0" });
});

test("a frame over 16 KiB is refused as the protocol error it is; a late PING after close is no error", async (t) => {
  const { frame: makeFrame } = await import("../src/client/h2-frames.js");
  const big = await rawServer(t, (id, type) => (type === 0x1 ? [makeFrame(0x1, 0x4, id, hex("88")), makeFrame(0x0, 0, id, Buffer.alloc(20_000))] : []));
  const reasons: (string | undefined)[] = [];
  const s = new H2Session(big, { goaway: () => {}, close: (reason) => reasons.push(reason) });
  const result = await request(s, Buffer.from("q"));
  t.is(result.data.length, 0);
  t.regex(s.reason ?? "", /a frame of 20000 bytes, over 16384/);

  // The agent's PING after the client's GOAWAY: the ACK has nowhere to go and must not be written.
  const trailers = Buffer.concat([hex("00 0b"), Buffer.from("grpc-status"), hex("01"), Buffer.from("0")]);
  const socketPath = await rawServer(t, (id, type) =>
    type === 0x1 ? [makeFrame(0x1, 0x4, id, hex("88")), makeFrame(0x1, 0x5, id, trailers)] : type === 0x7 ? [makeFrame(0x6, 0, 0, Buffer.alloc(8))] : [],
  );
  const closing = new H2Session(socketPath, { goaway: () => {}, close: (reason) => reasons.push(reason ?? "in order") });
  await request(closing, Buffer.from("q"));
  closing.close();
  await new Promise<void>((resolve) => setTimeout(resolve, 200));
  closing.destroy();
  await new Promise<void>((resolve) => setTimeout(resolve, 20));
  t.deepEqual(reasons.slice(1), ["in order"]);
});
