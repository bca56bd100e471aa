// The agent's socket file: checks before listening (live agent, stale socket, foreign file),
// a private directory, a 0600 socket, and removal on exit.
import { lstatSync, mkdirSync, unlinkSync, chmodSync } from "node:fs";
import { connect, type Server } from "node:net";
import { dirname } from "node:path";
import { socketPathProblem } from "../rpc/socket-path.js";

export class SocketFileError extends Error {}

/** Resolves true when something accepts connections on `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    const done = (live: boolean) => {
      socket.destroy();
      resolve(live);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.setTimeout(1_000, () => done(true)); // a socket that neither accepts nor refuses is in use
  });
}

/** Makes `path` ready to listen on, or throws SocketFileError saying why it cannot be. */
export async function prepareSocketPath(path: string): Promise<void> {
  const problem = socketPathProblem(path);
  if (problem) throw new SocketFileError(problem);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let stat;
  try {
    stat = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (!stat.isSocket()) {
    const what = stat.isSymbolicLink() ? "a symbolic link" : stat.isDirectory() ? "a directory" : "a file that is not a socket";
    throw new SocketFileError(`${path} is ${what}; unitsync never replaces it: remove it or choose another --socket`);
  }
  if (await answers(path)) {
    throw new SocketFileError(`an agent is already serving on ${path}; stop it or choose another --socket`);
  }
  unlinkSync(path); // a stale socket left by an agent that did not exit cleanly
}

/** Listens on `path` with a 0600 socket: no other user can connect, even for an instant. */
export function listenPrivately(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // listen() binds, creating the socket file, before it returns: the process-wide umask is
    // narrowed for exactly that, not until the callback, when other files may be created meanwhile.
    const previous = process.umask(0o177);
    const failed = (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE" // another agent bound the path between our check and our bind
          ? new SocketFileError(`an agent is already serving on ${path}; stop it or choose another --socket`)
          : error,
      );
    server.once("error", failed);
    try {
      server.listen(path, () => {
        server.off("error", failed);
        chmodSync(path, 0o600);
        resolve();
      });
    } finally {
      process.umask(previous);
    }
  });
}

/** Removes the socket file if it is still a socket (never anything else). */
export function removeSocketFile(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // already gone
  }
}
