// The agent's own grpc.health.v1.Health beyond Check: List names every status, and Watch of an
// unknown service says SERVICE_UNKNOWN until the watch is cancelled.
import test, { type ExecutionContext } from "ava";
import * as grpc from "@grpc/grpc-js";
import { promiseClient } from "../src/rpc/service.js";
import { socketTarget } from "../src/rpc/socket-path.js";
import { Health, HealthCheckResponse_ServingStatus as Serving } from "../gen/health/v1/health_pb.js";
import { eventually, withAgent } from "./helpers/agent.js";

function healthClient(t: ExecutionContext, socketPath: string) {
  const channel = new grpc.Client(socketTarget(socketPath), grpc.credentials.createInsecure());
  t.teardown(() => channel.close());
  return promiseClient(Health, channel);
}

test("List answers the status of every health name", async (t) => {
  const { socketPath } = await withAgent(t);
  const health = healthClient(t, socketPath);
  const { statuses } = await health.list({});
  t.deepEqual(
    Object.fromEntries(Object.entries(statuses).map(([name, response]) => [name, response.status])),
    { "": Serving.SERVING, "unitsync.v1.UnitSyncService": Serving.SERVING },
  );
});

test("Watch of an unknown service says SERVICE_UNKNOWN, and a cancelled watch ends", async (t) => {
  const { socketPath } = await withAgent(t);
  const health = healthClient(t, socketPath);
  const controller = new AbortController();
  const seen: Serving[] = [];
  const reading = (async () => {
    for await (const response of health.watch({ service: "no.such.Service" }, { signal: controller.signal })) seen.push(response.status);
  })().catch((error: grpc.ServiceError) => error.code);
  await eventually(() => seen.length === 1, "the first status");
  t.deepEqual(seen, [Serving.SERVICE_UNKNOWN]);
  controller.abort();
  t.is(await reading, grpc.status.CANCELLED);
});
