// Socket path resolution shared by the agent and every client, and the OS path-length check.
import { join, resolve } from "node:path";

/** sun_path is 108 bytes on Linux including the terminating NUL. */
export const MAX_SOCKET_PATH_BYTES = 107;

export type Env = Record<string, string | undefined>;

/**
 * --socket flag, else UNITSYNC_SOCKET, else CODER_AGENT_SOCKET_PATH (so scripts written for
 * `coder exp sync` find the agent as they are), else $XDG_RUNTIME_DIR/unitsync.sock, else
 * /tmp/unitsync-<uid>.sock.
 */
export function resolveSocketPath(flag: string | undefined, env: Env): string {
  if (flag) return resolve(flag);
  if (env.UNITSYNC_SOCKET) return resolve(env.UNITSYNC_SOCKET);
  if (env.CODER_AGENT_SOCKET_PATH) return resolve(env.CODER_AGENT_SOCKET_PATH);
  if (env.XDG_RUNTIME_DIR) return resolve(join(env.XDG_RUNTIME_DIR, "unitsync.sock"));
  // process.getuid, not os.userInfo: a uid with no passwd entry (docker run --user 1234) is normal.
  return `/tmp/unitsync-${process.getuid?.() ?? 0}.sock`;
}

/** A clear error instead of the silent truncation the OS would apply; undefined when fine. */
export function socketPathProblem(path: string): string | undefined {
  const bytes = Buffer.byteLength(path);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    return `socket path is ${bytes} bytes, over the ${MAX_SOCKET_PATH_BYTES}-byte limit of Unix sockets; choose a shorter --socket or UNITSYNC_SOCKET`;
  }
  return undefined;
}

/** The grpc-js target for a socket path (three slashes: unix:///abs/path). */
export function socketTarget(path: string): string {
  return `unix://${path}`;
}
