// What `up -f` tells about a plan's units: their log files, the summary table, and the chain that
// held start-up up at a given moment (for a budget that ran out).
import { statusName } from "../rpc/enums.js";
import type { Plan } from "../plan/model.js";
import type { Unit } from "../../gen/unitsync/v1/unitsync_pb.js";
import { formatDuration } from "./duration.js";
export { formatLimit } from "./duration.js";
import { table } from "./format.js";
import { outcome } from "./up-scripts.js";

/** A unit's log file name: its name with anything but letters, digits, `.`, `_` and `-` as `_`. */
export const logFileName = (unit: string) => `${unit.replace(/[^A-Za-z0-9._-]/g, "_")}.log`;

export interface RunRecord {
  name: string;
  log: string;
  startedAt: number;
  /** The command's exit, once it has exited for good. */
  exit?: { code: number; at: number };
}

export function planSummary(plan: Plan, runs: ReadonlyMap<string, RunRecord>, units: readonly Unit[], now: number): string {
  const byName = new Map(units.map((u) => [u.name, u]));
  const rows = plan.units.map((planned) => {
    const unit = byName.get(planned.name);
    const run = runs.get(planned.name);
    const status = unit ? statusName(unit.status) : "not registered";
    const exit = run?.exit ? String(run.exit.code) : run && status === "completed" && planned.ready.length > 0 ? "running" : "-";
    const time = run ? formatDuration((run.exit?.at ?? now) - run.startedAt) : "-";
    return [planned.name, status, exit, time, unit ? outcome(unit) : planned.external ? "external: never registered" : "not run", run?.log ?? "-"];
  });
  return `\nUnits:\n${table(["UNIT", "STATUS", "EXIT", "TIME", "OUTCOME", "LOG"], rows)}`;
}

/**
 * What held start-up up now: from a unit that is running (or waiting with nothing unmet, for a
 * lock) up through the unfinished units waiting for it, the longest such chain, dependency first.
 */
export function holdingChain(plan: Plan, units: readonly Unit[]): string[] {
  const status = new Map(units.map((u) => [u.name, statusName(u.status)]));
  const done = (name: string, condition: string) => {
    const s = status.get(name);
    if (condition === "started") return s === "started" || s === "completed";
    if (condition === "finished") return s === "completed" || s === "failed";
    return s === "completed";
  };
  const byName = new Map(plan.units.map((u) => [u.name, u]));
  const memo = new Map<string, string[]>();
  // The chain below `name`: its first unmet dependency's chain, then itself.
  const below = (name: string): string[] => {
    const known = memo.get(name);
    if (known) return known;
    memo.set(name, [name]); // no cycles (checked), but never loop
    const unmet = (byName.get(name)?.after ?? []).filter((d) => !done(d.name, d.condition)).map((d) => below(d.name));
    const longest = unmet.reduce<string[]>((best, chain) => (chain.length > best.length ? chain : best), []);
    const chain = [...longest, name];
    memo.set(name, chain);
    return chain;
  };
  let best: string[] = [];
  for (const unit of plan.units) {
    const s = status.get(unit.name);
    if (s === "completed" || s === "failed") continue;
    const chain = below(unit.name);
    if (chain.length > best.length) best = chain;
  }
  return best;
}
