// The CLI's cost per call against its physical floor: `unitsync ping`, bare `node -e 0` and a raw
// node:http2 gRPC Ping (no libraries), interleaved in one loop so machine load hits all alike.
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

/**
 * The least any Node client can do for one call: connect to the socket, send the one HTTP/2
 * request of a gRPC Ping (an empty PingRequest is the 5-byte frame 00 00000000), read the answer
 * and its trailers, print a line. CommonJS, so Node skips the ESM loader as the CLI's bin does.
 */
const FLOOR_SCRIPT = `"use strict";
const http2 = require("node:http2");
const net = require("node:net");
const path = process.argv[2];
const session = http2.connect("http://localhost", { createConnection: () => net.connect(path) });
const call = session.request({
  ":method": "POST",
  ":path": "/unitsync.v1.UnitSyncService/Ping",
  "content-type": "application/grpc",
  te: "trailers",
});
let status = "";
let bytes = 0;
call.on("response", (headers) => { if (headers["grpc-status"] !== undefined) status = headers["grpc-status"]; });
call.on("trailers", (headers) => { status = headers["grpc-status"]; });
call.on("data", (chunk) => { bytes += chunk.length; });
call.on("end", () => {
  session.close();
  if (status !== "0" || bytes < 5) { process.stderr.write("floor: ping failed: grpc-status " + status + "\\n"); process.exitCode = 1; return; }
  process.stdout.write("Success\\n");
});
call.end(Buffer.alloc(5));
`;

export interface FloorOptions {
  /** The installed command (bin/unitsync.cjs). */
  bin: string;
  /** A live agent's socket. */
  socket: string;
  env: NodeJS.ProcessEnv;
  /** Where the floor script is written. */
  work: string;
  rounds: number;
  /** A single executable to time beside the installed command, if one is built. */
  sea?: string;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const quartiles = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return [sorted[Math.floor(sorted.length / 4)]!, sorted[Math.floor((3 * sorted.length) / 4)]!] as const;
};

/** Times one process start to exit, in ms; throws if it fails. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const result = spawnSync(command, args, { env, stdio: "ignore" });
  const ms = performance.now() - t0;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}`);
  return ms;
}

/** Medians of every contender over `rounds` interleaved rounds, the ratios, and the quartiles. */
export function cliVsFloor(options: FloorOptions): Record<string, number> {
  const floorScript = join(options.work, "floor-ping.cjs");
  writeFileSync(floorScript, FLOOR_SCRIPT);
  const node = process.execPath;
  const sea = options.sea && existsSync(options.sea) ? options.sea : undefined;
  const contenders: [string, () => number][] = [
    ["node", () => timed(node, ["-e", "0"], options.env)],
    ["floor", () => timed(node, [floorScript, options.socket], options.env)],
    ["cli", () => timed(node, [options.bin, "ping", "--socket", options.socket], options.env)],
    ["version", () => timed(node, [options.bin, "--version"], options.env)],
    ...(sea ? ([["sea_ping", () => timed(sea, ["ping", "--socket", options.socket], options.env)]] as [string, () => number][]) : []),
  ];
  // The first call of each fills the code caches, as the first call on a machine does.
  for (const [, run] of contenders) run();
  const times = new Map(contenders.map(([name]) => [name, [] as number[]]));
  for (let i = 0; i < options.rounds; i++) {
    // Rotate who goes first so no contender always follows the same one.
    for (let j = 0; j < contenders.length; j++) {
      const [name, run] = contenders[(i + j) % contenders.length]!;
      times.get(name)!.push(run());
    }
  }
  const out: Record<string, number> = {};
  for (const [name, values] of times) {
    const [q1, q3] = quartiles(values);
    out[`${name}_ms`] = median(values);
    out[`${name}_ms_q1`] = q1;
    out[`${name}_ms_q3`] = q3;
  }
  out.cli_ratio = out.cli_ms! / out.node_ms!;
  out.floor_ratio = out.floor_ms! / out.node_ms!;
  out.cli_vs_floor = out.cli_ratio / out.floor_ratio;
  out.version_ratio = out.version_ms! / out.node_ms!;
  if (sea) out.sea_ping_ratio = out.sea_ping_ms! / out.node_ms!;
  return out;
}
