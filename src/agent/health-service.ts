// grpc.health.v1.Health served from the descriptors in gen/ (Check, Watch, List over a status
// map), so the agent needs no .proto parsed at run time for it.
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { serviceDefinition, type ServiceHandlers } from "../rpc/service.js";
import {
  Health,
  HealthCheckResponse_ServingStatus as Serving,
  HealthCheckResponseSchema,
  HealthListResponseSchema,
} from "../../gen/health/v1/health_pb.js";

export { Serving };

/** More services than List answers with; as grpc-health-check and the gRPC spec allow. */
const LIST_LIMIT = 100;

export interface HealthStatuses {
  set(name: string, status: Serving): void;
}

export function addHealthService(server: grpc.Server, initial: Record<string, Serving>): HealthStatuses {
  const statuses = new Map(Object.entries(initial));
  const watchers = new Map<string, Set<(status: Serving) => void>>();
  const response = (status: Serving) => create(HealthCheckResponseSchema, { status });

  const handlers: ServiceHandlers<typeof Health> = {
    check: (call, callback) => {
      const status = statuses.get(call.request.service);
      if (status === undefined) callback({ code: grpc.status.NOT_FOUND, details: `Health status unknown for service ${call.request.service}` });
      else callback(null, response(status));
    },
    watch: (call) => {
      const name = call.request.service;
      const watcher = (status: Serving) => void call.write(response(status));
      if (!watchers.has(name)) watchers.set(name, new Set());
      watchers.get(name)!.add(watcher);
      const forget = () => {
        watchers.get(name)?.delete(watcher);
        if (watchers.get(name)?.size === 0) watchers.delete(name);
      };
      call.once("cancelled", forget);
      call.once("close", forget);
      watcher(statuses.get(name) ?? Serving.SERVICE_UNKNOWN);
    },
    list: (_call, callback) => {
      if (statuses.size > LIST_LIMIT) {
        callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: "Too many services to list." });
        return;
      }
      const all = Object.fromEntries([...statuses].map(([name, status]) => [name, response(status)]));
      callback(null, create(HealthListResponseSchema, { statuses: all }));
    },
  };
  server.addService(serviceDefinition(Health), handlers as unknown as grpc.UntypedServiceImplementation);

  return {
    set(name, status) {
      if (statuses.get(name) === status) return;
      statuses.set(name, status);
      for (const watcher of watchers.get(name) ?? []) watcher(status);
    },
  };
}
