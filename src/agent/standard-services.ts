// The standard gRPC services next to UnitSyncService: health checking (grpc.health.v1.Health) and
// server reflection, so grpcurl, buf curl and probes work against the socket with no copy of the proto.
import { type DescFile, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type * as grpc from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";
import { HealthImplementation } from "grpc-health-check";
import { file_health_v1_health } from "../../gen/health/v1/health_pb.js";
import { file_unitsync_v1_unitsync, UnitSyncService } from "../../gen/unitsync/v1/unitsync_pb.js";

/** The health-check names that report the agent: the whole server and the service itself. */
export const HEALTH_NAMES = ["", UnitSyncService.typeName] as const;

export interface StandardServices {
  /** Health turns NOT_SERVING for every name: the agent has begun to shut down. */
  notServing(): void;
}

type PackageDefinition = ConstructorParameters<typeof ReflectionService>[0];

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
function reflectedFiles(): PackageDefinition {
  const fileDescriptorProtos = withImports([file_unitsync_v1_unitsync, file_health_v1_health]).map((file) =>
    Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto)),
  );
  return { files: { format: "Protocol Buffer 3 FileDescriptorProto", type: {}, fileDescriptorProtos } } as unknown as PackageDefinition;
}

export function addStandardServices(server: grpc.Server): StandardServices {
  const health = new HealthImplementation(Object.fromEntries(HEALTH_NAMES.map((name) => [name, "SERVING"])));
  health.addToServer(server);
  new ReflectionService(reflectedFiles()).addToServer(server);
  return {
    notServing: () => {
      for (const name of HEALTH_NAMES) health.setStatus(name, "NOT_SERVING");
    },
  };
}
