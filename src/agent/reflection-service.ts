// Server reflection (grpc.reflection v1 and v1alpha), loaded on the first reflection call:
// @grpc/reflection and the protobufjs it parses its own protos with cost the idle agent memory
// and start-up time that only a grpcurl or buf curl session needs. Until then the agent serves
// both methods with byte-for-byte pass-through codecs; the first call loads the real service and
// every call is handed to it, decoded and encoded with its own codecs.
import { EventEmitter } from "node:events";
import type * as grpc from "@grpc/grpc-js";

export type ReflectionPackage = ConstructorParameters<typeof import("@grpc/reflection").ReflectionService>[0];

interface Method {
  definition: grpc.MethodDefinition<object, object>;
  handler: (stream: EventEmitter & { write(message: object): void; end(): void }) => void;
}

const SERVICES = ["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"];
const METHOD = "ServerReflectionInfo";

export function addReflectionService(server: grpc.Server, files: () => Promise<ReflectionPackage>): void {
  let loading: Promise<Map<string, Method>> | undefined;
  const load = () =>
    (loading ??= (async () => {
      const { ReflectionService } = await import("@grpc/reflection");
      const methods = new Map<string, Method>();
      // The real service adds itself to whatever has addService: here, to this map.
      const collector = {
        addService(service: grpc.ServiceDefinition, implementation: Record<string, Method["handler"]>) {
          for (const [name, definition] of Object.entries(service)) methods.set(definition.path, { definition, handler: implementation[name]! });
        },
      };
      new ReflectionService(await files()).addToServer(collector as unknown as grpc.Server);
      return methods;
    })());

  const bytes = (buffer: Buffer) => buffer;
  for (const service of SERVICES) {
    const path = `/${service}/${METHOD}`;
    const definition = { path, requestStream: true, responseStream: true, originalName: "serverReflectionInfo", requestSerialize: bytes, requestDeserialize: bytes, responseSerialize: bytes, responseDeserialize: bytes };
    server.addService({ [METHOD]: definition }, {
      [METHOD]: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        // Requests wait in the call's buffer (nothing reads it yet) while the service loads.
        load().then(
          (methods) => {
            const method = methods.get(path)!;
            const stream = Object.assign(new EventEmitter(), {
              write: (message: object) => void call.write(method.definition.responseSerialize(message)),
              end: () => call.end(),
            });
            method.handler(stream);
            call.on("data", (request: Buffer) => stream.emit("data", method.definition.requestDeserialize(request)));
            call.on("end", () => stream.emit("end"));
          },
          (error: unknown) => call.destroy(Object.assign(new Error(`reflection failed to load: ${String(error)}`), { code: 13 })),
        );
      },
    });
  }
}
