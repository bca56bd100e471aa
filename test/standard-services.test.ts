// Standard gRPC services on the agent socket: buf curl finds the API through reflection and calls
// it, the health check answers SERVING and turns NOT_SERVING when the agent shuts down.
import { join } from "node:path";
import test from "ava";
import * as grpc from "@grpc/grpc-js";
import { promiseClient } from "../src/rpc/service.js";
import { socketTarget } from "../src/rpc/socket-path.js";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../gen/health/v1/health_pb.js";
import { eventually, tempDir, withAgent } from "./helpers/agent.js";
import { ROOT, spawnCli, spawnProcess } from "./helpers/cli.js";

const BUF = join(ROOT, "node_modules/.bin/buf");

/** `buf curl` over the agent's socket, with no schema but what reflection serves. */
function bufCurl(socketPath: string, args: string[]) {
  return spawnProcess(BUF, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "--unix-socket", socketPath, ...args]).done;
}

test("buf curl lists the services through reflection and calls Ping and the health check", async (t) => {
  const { socketPath } = await withAgent(t);
  const services = await bufCurl(socketPath, ["--list-services", "http://localhost"]);
  t.is(services.code, 0, services.stderr);
  t.deepEqual(services.stdout.trim().split("\n").sort(), ["grpc.health.v1.Health", "unitsync.v1.UnitSyncService"]);

  const ping = await bufCurl(socketPath, ["-d", "{}", "http://localhost/unitsync.v1.UnitSyncService/Ping"]);
  t.is(ping.code, 0, ping.stderr);
  t.is(JSON.parse(ping.stdout).version, "test");

  // A message with an imported type (Timestamp) and enums: reflection served the whole schema.
  const want = await bufCurl(socketPath, ["-d", '{"unit":"ide","depends_on":["git-clone"]}', "http://localhost/unitsync.v1.UnitSyncService/Want"]);
  t.is(want.code, 0, want.stderr);
  const unit = JSON.parse(want.stdout).unit;
  t.is(unit.status, "UNIT_STATUS_PENDING");
  t.is(unit.dependencies[0].currentStatus, "UNIT_STATUS_NOT_REGISTERED");
  t.regex(unit.registeredAt, /^\d{4}-\d\d-\d\dT/);

  for (const service of ["", "unitsync.v1.UnitSyncService"]) {
    const health = await bufCurl(socketPath, ["-d", JSON.stringify({ service }), "http://localhost/grpc.health.v1.Health/Check"]);
    t.is(health.code, 0, health.stderr);
    t.deepEqual(JSON.parse(health.stdout), { status: "SERVING" }, `service "${service}"`);
  }
});

test("the installed command's agent serves reflection and health too (their protos are inside the bundle)", async (t) => {
  const socketPath = join(tempDir(t), "agent.sock");
  const agent = spawnCli(["agent", "--socket", socketPath]);
  t.teardown(() => agent.child.kill("SIGKILL"));
  await eventually(() => agent.stderr().includes("serving on"), "the agent to serve", 45_000);

  const services = await bufCurl(socketPath, ["--list-services", "http://localhost"]);
  t.is(services.code, 0, services.stderr);
  t.true(services.stdout.includes("unitsync.v1.UnitSyncService"));
  const health = await bufCurl(socketPath, ["-d", "{}", "http://localhost/grpc.health.v1.Health/Check"]);
  t.is(health.code, 0, health.stderr);
  t.deepEqual(JSON.parse(health.stdout), { status: "SERVING" });

  agent.child.kill("SIGTERM");
  t.is((await agent.done).code, 0);
});

test("a health watcher sees NOT_SERVING as soon as the agent begins to shut down", async (t) => {
  const { agent, socketPath } = await withAgent(t);
  const channel = new grpc.Client(socketTarget(socketPath), grpc.credentials.createInsecure());
  t.teardown(() => channel.close());
  const health = promiseClient(Health, channel);

  t.is((await health.check({ service: "unitsync.v1.UnitSyncService" })).status, Serving.SERVING);
  const unknown = await health.check({ service: "no.such.Service" }).catch((error: grpc.ServiceError) => error);
  t.is((unknown as grpc.ServiceError).code, grpc.status.NOT_FOUND);

  const seen: Serving[] = [];
  const watch = health.watch({ service: "" });
  const reading = (async () => {
    for await (const response of watch) seen.push(response.status);
  })().catch(() => {}); // the stream is cut when the agent closes
  await eventually(() => seen.length === 1, "the first health status");
  t.deepEqual(seen, [Serving.SERVING]);

  const closing = agent.close();
  await eventually(() => seen.length === 2, "NOT_SERVING on shutdown");
  t.deepEqual(seen, [Serving.SERVING, Serving.NOT_SERVING]);
  await closing;
  await reading;
});
