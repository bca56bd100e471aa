// UnitSyncService's methods as plain data: all a client needs to call them (path, kind, message
// type names) without protobuf-es's descriptors, whose building costs every CLI call ~10 ms of
// start-up. test/service-methods.test.ts holds this list to the generated descriptor.

export interface ServiceMethod {
  /** The client's name for it: ping, want, getUnit, … */
  readonly localName: string;
  /** The HTTP/2 path: /unitsync.v1.UnitSyncService/Ping */
  readonly path: string;
  readonly kind: "unary" | "server_streaming";
  /** Full type names of the request and the response. */
  readonly input: string;
  readonly output: string;
}

const SERVICE = "unitsync.v1.UnitSyncService";

/** Every method's messages are named after it: Ping takes a PingRequest and answers a PingResponse. */
const method = (name: string, kind: ServiceMethod["kind"]): ServiceMethod => ({
  localName: name[0]!.toLowerCase() + name.slice(1),
  path: `/${SERVICE}/${name}`,
  kind,
  input: `unitsync.v1.${name}Request`,
  output: `unitsync.v1.${name}Response`,
});

export const UNITSYNC_METHODS: readonly ServiceMethod[] = [
  method("Ping", "unary"),
  method("Want", "unary"),
  method("Start", "server_streaming"),
  method("Complete", "unary"),
  method("Fail", "unary"),
  method("GetUnit", "unary"),
  method("ListUnits", "unary"),
  method("Watch", "server_streaming"),
  method("GetGraph", "unary"),
  method("GetTimeline", "unary"),
  method("ReportProcess", "unary"),
  method("DeclarePlan", "unary"),
  method("AcquireLocks", "server_streaming"),
  method("ListLocks", "unary"),
];
