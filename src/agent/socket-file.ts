// The agent's socket file: checks before listening (live agent, stale socket, foreign file),
// a private directory, a 0600 socket (0660/0750 for a socket group), and removal on exit.
import { chmodSync, chownSync, lstatSync, mkdirSync, readFileSync, renameSync, unlinkSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { connect, type Server } from "node:net";
import { basename, dirname, join } from "node:path";
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

/**
 * The gid of `group`: a name from /etc/group, or a number. Throws SocketFileError for a name the
 * system does not know.
 */
export function resolveGroup(group: string, groupFile = "/etc/group"): number {
  if (/^\d+$/.test(group)) return Number(group);
  let lines: string[] = [];
  try {
    lines = readFileSync(groupFile, "utf8").split("\n");
  } catch {
    // no group file: only numeric groups work
  }
  for (const line of lines) {
    const [name, , gid] = line.split(":");
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new SocketFileError(`--socket-group ${group}: no such group; name a group in ${groupFile} or give a numeric gid`);
}

/**
 * Makes `path` ready to listen on, or throws SocketFileError saying why it cannot be. A directory
 * it creates is 0700, or 0750 and owned by `gid` when the socket is shared with a group.
 */
export async function prepareSocketPath(path: string, gid?: number): Promise<void> {
  const problem = socketPathProblem(path);
  if (problem) throw new SocketFileError(problem);
  const created = mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (created !== undefined && gid !== undefined) {
    // Only the directory holding the socket is opened to the group; parents it made stay 0700.
    chownSync(dirname(path), -1, gid);
    chmodSync(dirname(path), 0o750);
  }
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
  // A stale socket stays until listenReplacing renames the new one over it: clients of the agent
  // that died see a socket that refuses (and wait to reconnect), never a missing one.
}

/**
 * A name to bind a replacement for `path` under before it is renamed over it: in the same folder,
 * named after the socket and random, so agents replacing different sockets of one folder at once
 * (or the same pid in two containers) never share one. A name too long for a Unix socket drops
 * the socket's name; undefined when even that does not fit.
 */
export function temporarySocketPath(path: string): string | undefined {
  const random = randomBytes(6).toString("hex");
  const candidates = [join(dirname(path), `.${basename(path)}.${random}.tmp`), join(dirname(path), `.us-${random}`)];
  return candidates.find((candidate) => socketPathProblem(candidate) === undefined);
}

/**
 * Listens on `path` (see listenPrivately). A stale socket there (one no agent answers on) is
 * replaced atomically: the new socket is bound beside it under a temporary name and renamed over
 * it, so a client of the agent that died never finds the path missing, not even between an
 * unlink and a bind; it finds the old socket (refusing: it waits to reconnect) or the new one.
 */
export async function listenReplacing(server: Server, path: string, gid?: number): Promise<void> {
  let stale = false;
  try {
    stale = lstatSync(path).isSocket(); // prepareSocketPath refused anything else
  } catch {
    // nothing there
  }
  const alreadyServing = () => new SocketFileError(`an agent is already serving on ${path}; stop it or choose another --socket`);
  if (stale && (await answers(path))) throw alreadyServing();
  const temporary = stale ? temporarySocketPath(path) : undefined;
  if (temporary === undefined) {
    if (stale) unlinkSync(path); // no room for a temporary name: the old way, unlink then bind
    return listenPrivately(server, path, gid);
  }
  // Nothing is removed first: the name is this call's own, and a file there (a collision of
  // random names) is someone else's; the bind then fails instead of taking it.
  await listenPrivately(server, temporary, gid);
  try {
    if (await answers(path)) throw alreadyServing(); // another agent took the path meanwhile
    renameSync(temporary, path);
  } catch (error) {
    server.close();
    removeSocketFile(temporary);
    throw error;
  }
}

/**
 * Listens on `path` with a 0600 socket: no other user can connect, even for an instant. With
 * `gid`, the socket is then given to that group and opened to it (0660), in that order.
 */
export function listenPrivately(server: Server, path: string, gid?: number): Promise<void> {
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
        if (gid !== undefined) {
          try {
            chownSync(path, -1, gid);
            chmodSync(path, 0o660);
          } catch (error) {
            server.close();
            reject(new SocketFileError(`--socket-group: cannot give ${path} to gid ${gid}: ${(error as Error).message}; run the agent as root or as a member of the group`));
            return;
          }
        }
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
