// The plan as `up -f` runs it: durations in milliseconds, commands as argv, paths resolved
// against the plan's directory. Built only from data that `check` found free of errors.
import { resolve } from "node:path";
import { durationMs } from "../core/duration.js";
import type { Condition } from "../core/status.js";
import type { UnitSpec } from "../runner/unit-spec.js";

export interface PlanDependency {
  name: string;
  condition: Condition;
}

/** The fields a plan unit hands to the runner as they are (see src/runner/unit-spec.ts). */
export const RUN_FIELDS = ["command", "after", "ready", "readyTimeoutMs", "locks", "timeoutMs", "runTimeoutMs", "retries", "retryDelayMs"] as const;

export interface PlanUnit extends Pick<UnitSpec, (typeof RUN_FIELDS)[number]> {
  name: string;
  /** argv: `run: "a b"` is ["sh", "-c", "a b"]; `script: x` is [<dir>/x]; empty when external. */
  command: string[];
  after: PlanDependency[];
  /** Added to the plan's env and the environment `up` runs in. */
  env: Record<string, string>;
  cwd: string;
  /** Run by a script, not by the plan. */
  external: boolean;
}

export interface Plan {
  file: string;
  budgetMs: number;
  logDir?: string;
  env: Record<string, string>;
  units: PlanUnit[];
}

/** Raw plan data as YAML gives it (after the schema check passed). */
export type RawUnit = Record<string, unknown>;

/** A string or a list of strings, as a list. */
export const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** `after` in any of its forms: a name, a list of names, or a map of name → condition. */
export function dependenciesOf(after: unknown): PlanDependency[] {
  if (after === undefined || after === null) return [];
  if (typeof after === "object" && !Array.isArray(after)) {
    return Object.entries(after as Record<string, unknown>).map(([name, condition]) => ({ name, condition: String(condition) as Condition }));
  }
  return asList(after).map((name) => ({ name: String(name), condition: "completed" as Condition }));
}

const ms = (value: unknown, absent = 0): number => (value === undefined ? absent : (durationMs(value as string | number) ?? absent));

/** As for `unitsync run`: a service has 2 minutes to become ready, retries start 1 s apart. */
export const DEFAULT_READY_TIMEOUT_MS = 120_000;
export const DEFAULT_RETRY_DELAY_MS = 1_000;

function envOf(value: unknown): Record<string, string> {
  if (!value || typeof value !== "object") return {};
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

export function commandOf(raw: RawUnit, dir: string): string[] {
  if (typeof raw.run === "string") return ["sh", "-c", raw.run];
  if (Array.isArray(raw.run)) return raw.run.map(String);
  if (typeof raw.script === "string") return [resolve(dir, raw.script)];
  return [];
}

export function unitOf(name: string, raw: RawUnit, dir: string): PlanUnit {
  return {
    name,
    command: raw.external === true ? [] : commandOf(raw, dir),
    after: dependenciesOf(raw.after),
    ready: asList(raw.ready).map(String),
    readyTimeoutMs: ms(raw.ready_timeout, DEFAULT_READY_TIMEOUT_MS),
    locks: asList(raw.lock).map(String),
    timeoutMs: ms(raw.timeout),
    runTimeoutMs: ms(raw.run_timeout),
    retries: typeof raw.retries === "number" ? raw.retries : 0,
    retryDelayMs: ms(raw.retry_delay, DEFAULT_RETRY_DELAY_MS),
    env: envOf(raw.env),
    cwd: typeof raw.cwd === "string" ? resolve(dir, raw.cwd) : dir,
    external: raw.external === true,
  };
}

export function planOf(file: string, data: Record<string, unknown>, dir: string): Plan {
  const units = (data.units ?? {}) as Record<string, RawUnit>;
  return {
    file,
    budgetMs: ms(data.budget),
    ...(typeof data.log_dir === "string" ? { logDir: resolve(dir, data.log_dir) } : {}),
    env: envOf(data.env),
    units: Object.entries(units).map(([name, raw]) => unitOf(name, raw ?? {}, dir)),
  };
}
