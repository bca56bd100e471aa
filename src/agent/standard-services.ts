// The standard gRPC services next to UnitSyncService: health checking (grpc.health.v1.Health) and
// server reflection, so grpcurl, buf curl and probes work against the socket with no copy of the proto.
import { type DescFile, toBinary } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import { file_health_v1_health } from "../../gen/health/v1/health_pb.js";
import { file_unitsync_v1_unitsync, UnitSyncService } from "../../gen/unitsync/v1/unitsync_pb.js";
import { addHealthService, Serving } from "./health-service.js";
import { addReflectionService, type ReflectionPackage } from "./reflection-service.js";

/** The health-check names that report the agent: the whole server and the service itself. */
export const HEALTH_NAMES = ["", UnitSyncService.typeName] as const;

export interface StandardServices {
  /** Health turns NOT_SERVING for every name: the agent has begun to shut down. */
  notServing(): void;
}

/** `files` and every file they import, each once. */
function withImports(files: DescFile[], seen = new Set<string>()): DescFile[] {
  return files.flatMap((file) => {
    if (seen.has(file.name)) return [];
    seen.add(file.name);
    return [file, ...withImports(file.dependencies, seen)];
  });
}

/**
 * The files reflection describes, from the descriptors compiled into gen/: no .proto is read at
 * run time (so the bundle and the single executable serve them too), and each file keeps its
 * imports and map entries, which a round trip through proto-loader loses. Reflection reads only
 * `fileDescriptorProtos` from a package definition's entries.
 */
async function reflectedFiles(): Promise<ReflectionPackage> {
  // Loaded with reflection: the descriptor of descriptor.proto is built when this module loads.
  const { FileDescriptorProtoSchema } = await import("@bufbuild/protobuf/wkt");
  const fileDescriptorProtos = withImports([file_unitsync_v1_unitsync, file_health_v1_health]).map((file) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)),
  );
  return { files: { format: "Protocol Buffer 3 FileDescriptorProto", type: {}, fileDescriptorProtos } } as unknown as ReflectionPackage;
}

export function addStandardServices(server: grpc.Server): StandardServices {
  const health = addHealthService(server, Object.fromEntries(HEALTH_NAMES.map((name) => [name, Serving.SERVING])));
  addReflectionService(server, reflectedFiles);
  return {
    notServing: () => {
      for (const name of HEALTH_NAMES) health.set(name, Serving.NOT_SERVING);
    },
  };
}
