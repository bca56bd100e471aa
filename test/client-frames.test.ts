// The client's wire pieces without an agent: gRPC message framing over any chunking, grpc-message
// percent-decoding, grpc-timeout spelling, trailers read as a status.
import test from "ava";
import { percentDecode, statusOf } from "../src/client/call-error.js";
import { FrameReader, frameMessage } from "../src/client/grpc-frames.js";
import { grpcTimeout } from "../src/client/h2-channel.js";
import { statusName } from "../src/client/status-codes.js";

const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);

/** Splits `data` at the given offsets. */
function split(data: Buffer, at: number[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const to of [...at, data.length]) {
    out.push(data.subarray(from, to));
    from = to;
  }
  return out;
}

test("the reader gives whole messages for every way the stream cuts them", (t) => {
  const messages = [bytes(3, 1), bytes(0, 0), bytes(70_000, 2), bytes(1, 3), bytes(0, 0)];
  const wire = Buffer.concat(messages.map(frameMessage));
  // all at once, byte by byte, and cuts inside prefixes and bodies
  const cuttings = [[], Array.from({ length: wire.length - 1 }, (_, i) => i + 1).filter((i) => i < 40 || i > wire.length - 40 || i % 997 === 0), [2, 9, 10, 11, 5000, 70_010]];
  for (const at of cuttings) {
    const reader = new FrameReader();
    const out = split(wire, at).flatMap((chunk) => reader.push(chunk));
    t.deepEqual(out.map((m) => Buffer.from(m)), messages);
    t.false(reader.partial);
  }
});

test("several messages in one chunk, and a message cut off at the end reads as partial", (t) => {
  const reader = new FrameReader();
  const two = Buffer.concat([frameMessage(bytes(2, 7)), frameMessage(bytes(4, 8)), frameMessage(bytes(10, 9)).subarray(0, 8)]);
  t.deepEqual(reader.push(two).map((m) => Buffer.from(m)), [bytes(2, 7), bytes(4, 8)]);
  t.true(reader.partial, "3 bytes of the third message are in");
});

test("a compressed message is refused (the client asks for none)", (t) => {
  const frame = frameMessage(bytes(2, 1));
  frame[0] = 1;
  t.throws(() => new FrameReader().push(frame), { message: /compressed/ });
});

test("grpc-message is percent-decoded UTF-8; a stray percent stays", (t) => {
  t.is(percentDecode("dependency %22a%22 failed: disk 100%25 full %E2%80%94 %C3%BC"), 'dependency "a" failed: disk 100% full — ü');
  t.is(percentDecode("50% done, %zz and %4"), "50% done, %zz and %4");
  t.is(percentDecode("plain ü ✓ 🙂"), "plain ü ✓ 🙂");
  t.is(percentDecode("%F0%9F%99%82 and 🙂"), "🙂 and 🙂");
});

test("trailers read as a status with metadata; no grpc-status is no status", (t) => {
  const status = statusOf({ "grpc-status": "9", "grpc-message": "cycle%20detected", "unitsync-error-kind": "cycle", "x-bin": Buffer.from([1, 2]).toString("base64") });
  t.is(status?.code, 9);
  t.is(status?.details, "cycle detected");
  t.deepEqual(status?.metadata.get("unitsync-error-kind"), ["cycle"]);
  t.deepEqual(status?.metadata.get("x-bin"), [Buffer.from([1, 2])]);
  t.deepEqual(status?.metadata.get("grpc-status"), [], "the status keys are not metadata");
  t.is(statusOf({ ":status": "200" }), undefined);
  t.is(statusName(14), "UNAVAILABLE");
});

test("grpc-timeout fits 8 digits in the finest unit that can say it", (t) => {
  t.is(grpcTimeout(1), "1m");
  t.is(grpcTimeout(0.2), "1m");
  t.is(grpcTimeout(99_999_999), "99999999m");
  t.is(grpcTimeout(100_000_000), "100000S");
  t.is(grpcTimeout(30 * 24 * 3600 * 1000), "2592000S");
  t.regex(grpcTimeout(1e15), /^\d{1,8}[MH]$/);
});
