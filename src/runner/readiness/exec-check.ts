// exec:COMMAND — ready once `sh -c COMMAND` exits 0 (pg_isready, curl -f, a script), tried with
// the poll's growing interval. Each try runs in its own process group, stopped when the wait ends.
import type { ReadinessCheck, CheckContext } from "./check.js";
import { spawnGroup } from "../process-group.js";
import { poll } from "./poll.js";

/** A try still running after this long is stopped and counts as failed. */
const TRY_TIMEOUT_MS = 10_000;

async function tryCommand(command: string, context: CheckContext, signal: AbortSignal): Promise<string | undefined> {
  const probe = spawnGroup(["sh", "-c", command], { env: context.env, ...(context.cwd ? { cwd: context.cwd } : {}), stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  probe.child.stderr?.setEncoding("utf8").on("data", (s: string) => (stderr = (stderr + s).slice(-1_000)));
  let timedOut = false;
  const stop = () => void probe.stop(500);
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, TRY_TIMEOUT_MS);
  signal.addEventListener("abort", stop, { once: true });
  try {
    const end = await probe.ended;
    if (timedOut) return `still running after ${TRY_TIMEOUT_MS / 1_000}s`;
    if (end.exitCode === 0 && !end.reason) return undefined;
    const said = stderr.trim().split("\n").at(-1)?.trim();
    return said ? `${end.reason}: ${said}` : end.reason;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", stop);
  }
}

export function execCheck(spec: string, command: string, context: CheckContext): ReadinessCheck {
  return { spec, wait: (signal, onError) => poll(signal, (s) => tryCommand(command, context, s), onError) };
}
