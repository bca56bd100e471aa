// A plan unit (from unitsync.yaml or a script's `# unitsync:` header) as the runner's spec, less
// where its output goes.
import { type PlanUnit, RUN_FIELDS } from "../plan/model.js";
import type { UnitSpec } from "../runner/unit-spec.js";

export function unitSpec(unit: PlanUnit, env: Record<string, string | undefined>, graceMs?: number): Omit<UnitSpec, "stdio"> {
  const declared = Object.fromEntries(RUN_FIELDS.map((field) => [field, unit[field]])) as Pick<PlanUnit, (typeof RUN_FIELDS)[number]>;
  return {
    ...declared,
    unit: unit.name,
    env: { ...env, ...unit.env, UNITSYNC_UNIT: unit.name },
    cwd: unit.cwd,
    ...(graceMs !== undefined ? { graceMs } : {}),
  };
}
