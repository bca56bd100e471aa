// One full garbage collection once the agent serves: loading the bundles leaves their sources and
// code caches read from disk (several MB) as garbage that an idle agent would otherwise keep.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Collects now. V8 exposes its collector only to contexts created while --expose-gc is set, so
 * the flag is set for one new context and cleared again; the agent's own context never sees a
 * `gc`. Any trouble only leaves the garbage where it is.
 */
export function collectStartupGarbage(): boolean {
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as unknown;
    setFlagsFromString("--no-expose-gc");
    if (typeof gc !== "function") return false;
    (gc as () => void)();
    return true;
  } catch {
    return false;
  }
}
