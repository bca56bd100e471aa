// `up -f`: a checked plan run in this one process over one client — declared at once, every unit
// through the runner with a log file each, `start-up complete` once every unit is completed, then
// the services supervised (and `--then`'s command run) until they exit or a signal comes. A budget
// bounds start-up; shutdown stops services dependents first, SIGTERM then SIGKILL after a grace.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, writeSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { SHORT_DEADLINE_MS, type UnitSyncClient, deadlineIn } from "../client/client.js";
import { describeFailure } from "../client/errors.js";
import { ExitCode } from "../client/exit-codes.js";
import { conditionToProto } from "../rpc/enums.js";
import { runUnit } from "../runner/run-unit.js";
import type { UnitHandle, UnitOutcome } from "../runner/unit-spec.js";
import type { Plan, PlanUnit } from "../plan/model.js";
import { formatDuration } from "./duration.js";
import { CommandError, type Io } from "./io.js";
import { renderTimeline } from "./timeline-verb.js";
import { watchProgress } from "./up-progress.js";
import { unitSpec } from "./up-unit-spec.js";
import { type RunRecord, formatLimit, holdingChain, logFileName, planSummary } from "./up-plan-report.js";
import { writeShim } from "./up-scripts.js";

export interface PlanRunOptions {
  socketPath: string;
  logDir: string;
  /** 0: no budget. */
  budgetMs: number;
  /** Run once start-up is complete; `up` exits with its code. */
  then?: string[];
  /** Between SIGTERM and SIGKILL when stopping a unit. */
  graceMs: number;
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
type Signal = (typeof SIGNALS)[number];

interface Run extends RunRecord {
  unit: PlanUnit;
  handle: UnitHandle;
  outcome?: UnitOutcome;
}

/** Something that ends a phase: the runs settling, the budget, a signal, `--then`'s exit. */
type Ending = { kind: "settled" } | { kind: "budget" } | { kind: "signal"; signal: Signal } | { kind: "then"; code: number } | { kind: "exited" };

const short = () => ({ deadline: deadlineIn(SHORT_DEADLINE_MS) });

async function declare(client: UnitSyncClient, plan: Plan): Promise<void> {
  const units = plan.units.map((u) => ({ name: u.name, after: u.after.map((d) => ({ name: d.name, condition: conditionToProto(d.condition) })) }));
  try {
    await client.declarePlan({ units }, short());
  } catch (error) {
    const failure = describeFailure(error, client.socketPath);
    throw new CommandError(`up: declaring the plan: ${failure.message}`, failure.exitCode);
  }
}

/**
 * Stops every run, each only once every unit that depends on it has stopped: dependents first.
 * Each unit is stopped once however often this is called (the first reason wins), so a shutdown
 * that overlaps another sends no second SIGTERM.
 */
function orderedStop(plan: Plan, runs: ReadonlyMap<string, Run>, graceMs: number): (reason: string) => Promise<unknown> {
  const dependents = new Map<string, string[]>();
  for (const unit of plan.units) for (const dep of unit.after) dependents.set(dep.name, [...(dependents.get(dep.name) ?? []), unit.name]);
  const stopping = new Map<string, Promise<void>>();
  return (reason) => {
    const stop = (name: string): Promise<void> => {
      let done = stopping.get(name);
      if (!done) {
        stopping.set(name, (done = Promise.all((dependents.get(name) ?? []).map(stop)).then(() => runs.get(name)?.handle.stop(reason, graceMs))));
      }
      return done;
    };
    return Promise.all(plan.units.map((u) => stop(u.name)));
  };
}

export async function runPlan(io: Io, client: UnitSyncClient, plan: Plan, options: PlanRunOptions): Promise<number> {
  const t0 = Date.now();
  const env: Record<string, string | undefined> = { ...io.env, ...plan.env, UNITSYNC_SOCKET: options.socketPath };
  if (io.self) env.PATH = `${writeShim(options.logDir, io.self)}:${io.env.PATH ?? ""}`;
  await declare(client, plan);

  const runs = new Map<string, Run>();
  const stopAll = orderedStop(plan, runs, options.graceMs);
  const progress = await watchProgress(io, client, t0, () => [...runs.values()].filter((r) => !r.exit && r.handle.pid() !== undefined).map((r) => r.name));
  const say = (line: string) => progress.lines && io.stderr.write(`${progress.since()}${line}\n`);

  // Every ending of a phase arrives here; each phase waits for the next one it cares about.
  let wake: (ending: Ending) => void = () => {};
  const next = () => new Promise<Ending>((resolve) => (wake = resolve));
  let signalled: Signal | undefined;
  const onSignal = SIGNALS.map((signal) => {
    const handler = () => {
      if (signalled) return;
      signalled = signal;
      say(`${signal} received; stopping`);
      wake({ kind: "signal", signal });
    };
    io.signals.on(signal, handler);
    return [signal, handler] as const;
  });
  let then: ChildProcess | undefined;
  let budget: NodeJS.Timeout | undefined;
  try {
    let unsettled = 0;
    let running = 0;
    for (const unit of plan.units) {
      if (unit.external) continue;
      const log = join(options.logDir, logFileName(unit.name));
      const fd = openSync(log, "w");
      const line = (text: string) => void writeSync(fd, `${text}\n`);
      const handle = runUnit(client, { ...unitSpec(unit, env, options.graceMs), stdio: { fd }, progress: line, warn: (text) => line(`unitsync: ${text}`) });
      const run: Run = { name: unit.name, unit, handle, log, startedAt: Date.now() };
      runs.set(unit.name, run);
      unsettled++;
      running++;
      void handle.settled.then((outcome) => {
        run.outcome = outcome;
        if (--unsettled === 0) wake({ kind: "settled" });
      });
      void handle.exited.then((code) => {
        closeSync(fd);
        run.exit = { code, at: Date.now() };
        if (run.outcome?.ok && unit.ready.length > 0) say(`service ${unit.name} exited with ${code}${code ? `, see ${log}` : ""}`);
        if (--running === 0) wake({ kind: "exited" });
      });
    }
    if (options.budgetMs > 0) budget = setTimeout(() => wake({ kind: "budget" }), options.budgetMs);

    // Start-up: until every unit settled, the budget ran out or a signal came.
    let ending: Ending = unsettled === 0 ? { kind: "settled" } : signalled ? { kind: "signal", signal: signalled } : await next();
    clearTimeout(budget);
    let budgetChain: string[] | undefined;
    if (ending.kind === "budget") {
      const { units } = await client.listUnits({}, short());
      budgetChain = holdingChain(plan, units);
      const reason = `start-up budget of ${formatLimit(options.budgetMs)} exceeded`;
      say(`${reason}; stopping what has not finished`);
      const unfinished = new Map([...runs].filter(([, r]) => !r.outcome));
      await Promise.all([...unfinished.values()].map((r) => r.handle.stop(reason, options.graceMs)));
    } else if (ending.kind === "signal") {
      await stopAll(`up received ${ending.signal}`);
    }
    await Promise.all([...runs.values()].map((r) => r.handle.settled));

    const complete = ending.kind === "settled" && [...runs.values()].every((r) => r.outcome?.ok);
    await report(io, client, plan, runs);
    if (ending.kind === "signal") return await finishSignalled(io, runs, ending.signal, stopAll);
    if (!complete) {
      if (ending.kind === "budget") {
        const chain = budgetChain && budgetChain.length > 0 ? `; held up by ${budgetChain.join(" -> ")}` : "";
        io.stdout.write(`\nstart-up budget of ${formatLimit(options.budgetMs)} exceeded${chain}\n`);
      } else {
        io.stdout.write("\nstart-up failed\n");
      }
      await stopAll("start-up failed");
      return ending.kind === "budget" ? ExitCode.timeout : ExitCode.failed;
    }
    io.stdout.write(`\nstart-up complete in ${formatDuration(Date.now() - t0)}\n`);

    // Supervise: services keep running until they exit, a signal comes, or --then's command exits.
    if (options.then) {
      // In up's own process group, so that an interactive command keeps the terminal (docker run -it … bash).
      then = spawn(options.then[0]!, options.then.slice(1), { env, stdio: "inherit" });
      then.once("error", (error) => {
        io.stderr.write(`unitsync: up: --then ${options.then![0]}: ${error.message}\n`);
        wake({ kind: "then", code: 127 });
      });
      then.once("exit", (code, signal) => wake({ kind: "then", code: code ?? 128 + osConstants.signals[signal ?? "SIGTERM"] }));
    }
    ending = signalled ? { kind: "signal", signal: signalled } : running === 0 && !then ? { kind: "exited" } : await next();
    while (ending.kind === "exited" && then && then.exitCode === null && then.signalCode === null) ending = await next();
    if (ending.kind === "signal") {
      if (then && then.exitCode === null && then.signalCode === null) {
        const exited = new Promise((resolve) => then!.once("exit", resolve));
        then.kill(ending.signal);
        await exited;
      }
      return await finishSignalled(io, runs, ending.signal, stopAll);
    }
    if (ending.kind === "then") {
      say(`--then ${options.then![0]} exited with ${ending.code}; stopping the services`);
      await stopAll("--then's command exited");
      return ending.code;
    }
    const failed = [...runs.values()].some((r) => (r.exit?.code ?? 0) !== 0);
    return failed ? ExitCode.failed : ExitCode.ok;
  } finally {
    clearTimeout(budget);
    // However `up` ends (an unexpected error included), nothing it started is left running. Every
    // return above awaits its own stopping first, so this finds nothing left on the usual paths.
    if (then && then.exitCode === null && then.signalCode === null) then.kill("SIGKILL");
    await stopAll("up is exiting");
    for (const [signal, handler] of onSignal) io.signals.off(signal, handler);
    await progress.stop();
  }
}

async function finishSignalled(io: Io, runs: ReadonlyMap<string, Run>, signal: Signal, stopAll: (reason: string) => Promise<unknown>): Promise<number> {
  await stopAll(`up received ${signal}`);
  const complete = [...runs.values()].every((r) => r.outcome?.ok);
  io.stdout.write(complete ? `\nservices stopped on ${signal}\n` : `\nstart-up interrupted by ${signal}\n`);
  return 128 + osConstants.signals[signal];
}

async function report(io: Io, client: UnitSyncClient, plan: Plan, runs: ReadonlyMap<string, Run>): Promise<void> {
  try {
    const { units } = await client.listUnits({}, short());
    io.stdout.write(planSummary(plan, runs, units, Date.now()));
    io.stdout.write("\n" + renderTimeline(await client.getTimeline({}, short())));
  } catch (error) {
    io.stderr.write(`unitsync: up: no summary: ${describeFailure(error, client.socketPath).message}\n`);
  }
}
