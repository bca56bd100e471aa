// notify — systemd's sd_notify protocol: the command gets NOTIFY_SOCKET, a Unix datagram socket
// in a private directory, and is ready once it sends READY=1 (`systemd-notify --ready`, daemons
// built for Type=notify). Node has no Unix datagram sockets, so this uses the unix-dgram package
// (a small native addon), loaded only when a notify check runs. Passed descriptors (the
// BARRIER=1 of systemd-notify) are not kept, which closes them: that is what ends the barrier.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ReadinessCheck } from "./check.js";

interface DatagramSocket {
  on(event: "message", listener: (message: Buffer) => void): unknown;
  on(event: "error", listener: (error: Error) => void): unknown;
  bind(path: string): void;
  close(): void;
}

interface UnixDgram {
  createSocket(type: "unix_dgram"): DatagramSocket;
}

async function loadUnixDgram(): Promise<UnixDgram> {
  try {
    // The CommonJS bundle has a require (esbuild leaves the package out of it); the ESM build imports it.
    const loaded = (typeof require === "function" ? require("unix-dgram") : await import("unix-dgram" as string)) as UnixDgram & { default?: UnixDgram };
    return loaded.default ?? loaded;
  } catch (error) {
    throw new Error(`notify needs the unix-dgram package, which cannot be loaded here (${(error as Error).message.split("\n")[0]}); install it with npm, or use another check`);
  }
}

/** The variables of one notify message: "READY=1\nSTATUS=Loading…" → {READY: "1", STATUS: "Loading…"}. */
export function parseNotify(message: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of message.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return fields;
}

export interface NotifyCheck {
  check: ReadinessCheck;
  /** The path to give the command as NOTIFY_SOCKET. */
  socketPath: string;
}

/** Binds the socket (before the command starts, so no message is lost) and returns the check. */
export async function openNotifyCheck(spec: string): Promise<NotifyCheck> {
  const unixDgram = await loadUnixDgram();
  const dir = mkdtempSync(join(tmpdir(), "unitsync-notify-")); // 0700: only this user can send
  const socketPath = join(dir, "notify.sock");
  const socket = unixDgram.createSocket("unix_dgram");
  let ready = false;
  let status = "";
  let wake: (() => void) | undefined;
  let report: ((error: string) => void) | undefined;
  socket.on("message", (message) => {
    const fields = parseNotify(message.toString("utf8"));
    if (fields.has("STATUS")) {
      status = fields.get("STATUS")!;
      if (!ready) report?.(`no READY=1 yet (STATUS=${status})`);
    }
    if (fields.get("READY") === "1" && !ready) {
      ready = true;
      wake?.();
    }
  });
  let failure: Error | undefined;
  socket.on("error", (error) => (failure = error));
  socket.bind(socketPath);
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    socket.close();
    rmSync(dir, { recursive: true, force: true });
  };
  if (failure) {
    close();
    throw new Error(`notify: cannot listen on ${socketPath}: ${(failure as Error).message}`);
  }
  const check: ReadinessCheck = {
    spec,
    wait: (signal, onError) =>
      new Promise<void>((resolve, reject) => {
        if (ready) return resolve();
        signal.throwIfAborted();
        report = onError;
        onError(status ? `no READY=1 yet (STATUS=${status})` : "no READY=1 yet");
        const onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        wake = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
      }),
    close,
  };
  return { check, socketPath };
}
