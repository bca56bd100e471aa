// The unit registry: the commands of the unit state machine (want, start, complete, fail, retry,
// declare, record), the API the agent calls. Each checks its request, then applies it through the
// transitions, the blocked-by search and the wake queue of open Start calls; the queries are
// RegistryReads' (registry-reads.ts). Pure: no I/O, no timers.
import { type BlockMemo, blockedBy, blockedDependents, dependencyFailed, isBlocked } from "./blocked-by.js";
import { IllegalTransition, InvalidArgument, LimitExceeded } from "./errors.js";
import { EventBus } from "./event-bus.js";
import type { EventKind, UnitEvent } from "./event-log.js";
import { DEFAULT_LIMITS, type Limits } from "./limits.js";
import { validateUnitName } from "./names.js";
import { RegistryReads } from "./registry-reads.js";
import type { Condition, UnitStatus } from "./status.js";
import { Transitions } from "./transitions.js";
import { type Clock, type StartProgress, type UnitRecord, UnitStore } from "./unit-store.js";
import type { UnitView } from "./unit-views.js";
import { WakeQueue } from "./wake-queue.js";

export { DEFAULT_LIMITS, type Limits } from "./limits.js";
export type { BlockedView, DependencyView, UnitView } from "./unit-views.js";
export type { AttemptRecord, Clock, StartProgress } from "./unit-store.js";
export type { EventListener } from "./event-bus.js";

export interface StartResult {
  unit: UnitView;
  dependencies: string[];
  waitedMs: number;
}

/** An event another core module records in the registry's log (see Registry.record). */
export interface RecordedEvent {
  unit: string;
  kind: EventKind;
  from?: UnitStatus;
  to?: UnitStatus;
  reason?: string;
  dependsOn?: readonly string[];
  detail?: Readonly<Record<string, string | number | boolean>>;
}

export class Registry extends RegistryReads {
  private readonly clock: Clock;
  private readonly transitions: Transitions;

  constructor(
    options: {
      limits?: Partial<Limits>;
      clock?: Clock;
      /** Called when a listener throws; the event still reaches every other listener. Default: ignore. */
      onListenerError?: (error: unknown, event: UnitEvent) => void;
    } = {},
    clock: Clock = options.clock ?? Date,
  ) {
    const limits = { ...DEFAULT_LIMITS, ...options.limits };
    const store = new UnitStore();
    const bus = new EventBus(limits.events, options.onListenerError ?? (() => {}), limits.eventBytes);
    const wakeQueue = new WakeQueue(store);
    super(limits, store, bus, wakeQueue);
    this.clock = clock;
    this.transitions = new Transitions(store, bus, wakeQueue, clock);
  }

  // ---- commands -------------------------------------------------------------------------------

  /** Registers `unit` and declares that it depends on each of `dependencies`. */
  want(unit: string, dependencies: readonly string[], condition: Condition = "completed", owner = ""): UnitView {
    this.validName(unit);
    if (dependencies.length === 0) {
      throw new InvalidArgument(`unit "${unit}" declares no dependencies; name at least one`);
    }
    for (const dependency of dependencies) this.validName(dependency);
    const { graph } = this.store;
    const unique = [...new Set(dependencies)];
    const existing = graph.dependenciesOf(unit);
    const fresh = unique.filter((d) => !existing.has(d));
    // Whatever the unit's status: an edge added to a started or finished unit applies from its next
    // attempt. Re-declaring an edge changes nothing; a new condition replaces the old one.
    if (existing.size + fresh.length > this.limits.dependenciesPerUnit) {
      throw new LimitExceeded(
        `unit "${unit}" would have ${existing.size + fresh.length} dependencies; the limit is ${this.limits.dependenciesPerUnit}`,
      );
    }
    this.store.checkNameLimit([unit, ...fresh], this.limits.units);
    const added = graph.addEdges(unit, unique, condition);
    const { status } = this.transitions.register(unit, owner);
    if (added.length > 0) this.transitions.emit(unit, "dependencies-declared", status, status, "", added);
    // New edges can add unmet dependencies to an open wait, or block it and its dependents.
    this.wakeQueue.wake(blockedBy(this.store, unit) ? [unit, ...blockedDependents(graph, unit)] : [unit]);
    return this.view(unit);
  }

  /**
   * Registers `unit`, waits until every dependency is satisfied, then marks it started. On a
   * completed or failed unit this begins a new attempt (a re-run or a retry): the unit is pending
   * again, satisfies none of its dependents, and waits for its dependencies as usual. Rejects
   * with DependencyFailed when the unit is or becomes blocked, and with `signal.reason` when the
   * signal aborts (deadline, client cancel, shutdown); the waiter is removed at that moment.
   */
  start(unit: string, signal: AbortSignal, progress: StartProgress = {}, owner = ""): Promise<StartResult> {
    this.validName(unit);
    signal.throwIfAborted();
    this.store.checkNameLimit([unit], this.limits.units);
    const record = this.transitions.register(unit, owner);
    if (record.status === "started") {
      throw new IllegalTransition(unit, `unit "${unit}" is already started`);
    }
    if (record.waiter) {
      throw new IllegalTransition(unit, `unit "${unit}" is already waiting to start in another call`);
    }
    const now = this.clock.now();
    const blocked = blockedBy(this.store, unit);
    // A blocked re-run is refused before it begins: the finished attempt stays as it was.
    if (blocked && record.status !== "pending") throw dependencyFailed(unit, blocked);
    if (record.status !== "pending") this.transitions.beginAttempt(record, now);
    record.startRequestedAt ??= now;
    if (blocked) throw dependencyFailed(unit, blocked);
    const unmet = this.store.unmet(unit);
    // Nothing to wait for: started at the instant it was asked, so it shows no wait however busy the clock.
    if (unmet.length === 0) return Promise.resolve(this.markStarted(record, now, now));

    return this.wakeQueue.open(record, signal, progress, now, {
      began: () => {
        this.transitions.emit(unit, "wait-began", "pending", "pending", "", unmet);
        progress.onWaiting?.(unmet, unmet.filter((d) => !this.store.units.has(d)));
      },
      ended: (error) => this.transitions.emit(unit, "wait-ended", record.status, record.status, error.message),
      ready: () => this.markStarted(record, now),
    }, unmet);
  }

  /** pending|started -> completed. Completing a completed unit changes nothing. */
  complete(unit: string): { unit: UnitView; changed: boolean } {
    this.validName(unit);
    const record = this.store.mustGet(unit);
    if (record.status === "completed") return { unit: this.view(unit), changed: false };
    if (record.status === "failed") {
      throw new IllegalTransition(unit, `unit "${unit}" already failed (${record.reason || "no reason given"}); it cannot complete`);
    }
    this.transitions.to(record, "completed", "");
    return { unit: this.view(unit), changed: true };
  }

  /** pending|started -> failed; every dependent that waits, transitively, fails at once. */
  fail(unit: string, reason: string): { unit: UnitView; changed: boolean; blocked: string[] } {
    this.validName(unit);
    if (reason.length > this.limits.reasonLength) {
      throw new InvalidArgument(`reason is ${reason.length} characters; the limit is ${this.limits.reasonLength}`);
    }
    const record = this.store.mustGet(unit);
    if (record.status === "failed") return { unit: this.view(unit), changed: false, blocked: [] };
    if (record.status === "completed") {
      throw new IllegalTransition(unit, `unit "${unit}" already completed; it cannot fail`);
    }
    const dependents = this.transitions.to(record, "failed", reason);
    // Only pending dependents that are now blocked: one that waits on a started unit is not.
    const memo: BlockMemo = new Map();
    const blocked = dependents.filter(
      (name) => this.store.units.get(name)?.status === "pending" && isBlocked(this.store, name, memo),
    );
    return { unit: this.view(unit), changed: true, blocked };
  }

  /**
   * Appends an event of another core module composed at the agent level (a lock granted, a
   * process exited) to the same seq-numbered log, and delivers it to every subscriber, so Watch
   * and the timeline see it in order with the unit events. `from`/`to` default to the unit's
   * current status. Returns the event with its seq and time.
   */
  record(event: RecordedEvent): UnitEvent {
    const status = this.store.statusOf(event.unit);
    return this.bus.emit({
      time: this.clock.now(),
      unit: event.unit,
      kind: event.kind,
      from: event.from ?? status,
      to: event.to ?? status,
      reason: event.reason ?? "",
      dependsOn: event.dependsOn ?? [],
      attempt: this.store.units.get(event.unit)?.attempt ?? 0,
      ...(event.detail ? { detail: event.detail } : {}),
    });
  }

  // ---- hook for `run --retries` (services: src/core/processes.ts, composed in src/agent/handlers.ts)

  /**
   * started -> started as the next attempt, without passing through failed: the attempt that ends
   * is kept as failed with `reason`, and no dependent sees a failure: they keep waiting for the
   * retry. Reported by a runner through ReportProcess (PHASE_RETRY_WAIT).
   */
  retry(unit: string, reason: string): UnitView {
    validateUnitName(unit);
    const record = this.store.mustGet(unit);
    if (record.status !== "started") {
      throw new IllegalTransition(unit, `unit "${unit}" is ${record.status}; only a started unit can be retried`);
    }
    this.transitions.retry(record, reason);
    return this.view(unit);
  }

  /** Registers `unit` as pending, with no dependency: a plan names it before anyone starts it. */
  declare(unit: string, owner = ""): UnitView {
    this.validName(unit);
    this.store.checkNameLimit([unit], this.limits.units);
    this.transitions.register(unit, owner);
    return this.view(unit);
  }

  // ---- internals ------------------------------------------------------------------------------

  private markStarted(record: UnitRecord, since: number, at = this.clock.now()): StartResult {
    this.transitions.to(record, "started", "", at);
    const dependencies = [...this.store.graph.dependenciesOf(record.name).keys()];
    return { unit: this.view(record.name), dependencies, waitedMs: Math.max(0, at - since) };
  }
}
