// A plan unit (from unitsync.yaml or a script's `# unitsync:` header) as the runner's spec, less
// where its output goes.
import type { PlanUnit } from "../plan/model.js";
import type { UnitSpec } from "../runner/unit-spec.js";

export function unitSpec(unit: PlanUnit, env: Record<string, string | undefined>, graceMs?: number): Omit<UnitSpec, "stdio"> {
  return {
    unit: unit.name,
    after: unit.after,
    command: unit.command,
    env: { ...env, ...unit.env, UNITSYNC_UNIT: unit.name },
    cwd: unit.cwd,
    ready: unit.ready,
    readyTimeoutMs: unit.readyTimeoutMs,
    locks: unit.locks,
    timeoutMs: unit.timeoutMs,
    runTimeoutMs: unit.runTimeoutMs,
    retries: unit.retries,
    retryDelayMs: unit.retryDelayMs,
    ...(graceMs !== undefined ? { graceMs } : {}),
  };
}
