// What the client yields from the agent's bytes (Start streams, and one unary answer): messages the hand decoders read, one with
// fields this client does not know (kept), and bytes that are no StartResponse (an INTERNAL error
// that ends the call, never a wrong message). The agent here is a node:http2 server that answers
// with chosen bytes.
import { clone, create, equals, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createServer } from "node:http2";
import { join } from "node:path";
import test from "ava";
import { PingResponseSchema, StartResponseSchema } from "../gen/unitsync/v1/unitsync_pb.js";
import { connect } from "../src/client/client.js";
import { Status } from "../src/client/status-codes.js";
import { encodeStartResponse } from "../src/rpc/start-response-encoder.js";
import { tempDir } from "./helpers/agent.js";
import { grpcMessage } from "./helpers/h2.js";

/** An agent whose Start answers are `answers`, then status OK. */
async function agentSaying(t: import("ava").ExecutionContext, answers: Uint8Array[]): Promise<string> {
  const socketPath = join(tempDir(t), "fake.sock");
  const server = createServer();
  server.on("stream", (stream) => {
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(Buffer.concat(answers.map((a) => grpcMessage(Buffer.from(a)))));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return socketPath;
}

async function read(socketPath: string): Promise<{ messages: unknown[]; error?: { code: number; details: string } }> {
  const client = connect(socketPath, { separate: true });
  const messages: unknown[] = [];
  try {
    for await (const message of client.start({ unit: "app" })) messages.push(message);
    return { messages };
  } catch (error) {
    return { messages, error: error as { code: number; details: string } };
  } finally {
    client.close();
  }
}

const waiting = create(StartResponseSchema, { event: { case: "waiting", value: { unmet: ["db"], unregistered: [] } } });
const started = create(StartResponseSchema, {
  event: { case: "started", value: { unit: { name: "app", status: 3, dependencies: [{ dependsOn: "db", satisfied: true }], changedAt: { seconds: 1_764_000_000n }, attempt: 1 }, dependencies: ["db"], waitedMs: 12n } },
});

test("a Start stream yields what fromBinary reads from the agent's bytes, unknown fields kept", async (t) => {
  const future = create(StartResponseSchema, started);
  (future.event.value as { $unknown?: unknown }).$unknown = [{ no: 40, wireType: 0, data: new Uint8Array([0x05]) }];
  const answers = [toBinary(StartResponseSchema, waiting), encodeStartResponse(started), toBinary(StartResponseSchema, future)];
  const { messages, error } = await read(await agentSaying(t, answers));
  t.is(error, undefined);
  t.deepEqual(messages, answers.map((a) => fromBinary(StartResponseSchema, Buffer.from(a))));
  t.true([waiting, started, future].every((m, i) => equals(StartResponseSchema, messages[i] as typeof m, m)));
});

test("bytes that are no StartResponse end the Start call with INTERNAL after the messages before them", async (t) => {
  const cut = encodeStartResponse(started).subarray(0, 20);
  const { messages, error } = await read(await agentSaying(t, [toBinary(StartResponseSchema, waiting), cut, encodeStartResponse(started)]));
  t.deepEqual(messages, [waiting]);
  t.is(error?.code, Status.INTERNAL);
  t.regex(error?.details ?? "", /^cannot decode the agent's answer: premature EOF/);
});

test("an answer protobuf-es must read (loaded on first need) keeps its place ahead of later ones", async (t) => {
  const future = clone(StartResponseSchema, waiting);
  (future.event.value as { $unknown?: unknown }).$unknown = [{ no: 41, wireType: 2, data: new Uint8Array([1, 0x61]) }];
  const answers = [toBinary(StartResponseSchema, future), encodeStartResponse(started), toBinary(StartResponseSchema, waiting)];
  const { messages, error } = await read(await agentSaying(t, answers));
  t.is(error, undefined);
  t.deepEqual(messages, answers.map((a) => fromBinary(StartResponseSchema, Buffer.from(a))));
});

test("a unary answer with a field this client does not know keeps it; one that is no answer fails with INTERNAL", async (t) => {
  const ping = create(PingResponseSchema, { version: "9.9.9", protocol: 1, pid: 42 });
  ping.$unknown = [{ no: 90, wireType: 0, data: new Uint8Array([0x07]) }];
  const client = connect(await agentSaying(t, [toBinary(PingResponseSchema, ping)]), { separate: true });
  t.teardown(() => client.close());
  t.deepEqual(await client.ping({}), fromBinary(PingResponseSchema, Buffer.from(toBinary(PingResponseSchema, ping))));
  const broken = connect(await agentSaying(t, [new Uint8Array([0x0a, 0x05, 0x61])]), { separate: true });
  t.teardown(() => broken.close());
  const error = await t.throwsAsync(broken.complete({ unit: "a" }));
  t.is((error as unknown as { code: number }).code, Status.INTERNAL);
  t.regex(error?.message ?? "", /cannot decode the agent's answer/);
});
