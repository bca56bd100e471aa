// The unit registry: the commands and queries of the unit state machine. It composes the unit
// store (records and graph), the attempt bookkeeping, the blocked-by search, the wake queue of open
// Start calls, the views and the event bus that Watch and the timeline read. Pure: no I/O, no timers.
import { beginPendingAttempt, beginRetryAttempt } from "./attempts.js";
import { type BlockMemo, blockedBy, blockedDependents, dependencyFailed, isBlocked } from "./blocked-by.js";
import { IllegalTransition, InvalidArgument, LimitExceeded } from "./errors.js";
import { EventBus, type EventListener } from "./event-bus.js";
import type { EventKind, UnitEvent } from "./event-log.js";
import { DEFAULT_LIMITS, type Limits } from "./limits.js";
import { validateUnitName } from "./names.js";
import type { Condition, UnitStatus } from "./status.js";
import { buildTimeline, type Timeline } from "./timeline.js";
import { type Clock, type StartProgress, type UnitRecord, timelineRecord, UnitStore } from "./unit-store.js";
import { type UnitView, unitView } from "./unit-views.js";
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

export class Registry {
  readonly limits: Limits;
  private readonly store = new UnitStore();
  private readonly bus: EventBus;
  private readonly wakeQueue = new WakeQueue(this.store);

  constructor(
    options: {
      limits?: Partial<Limits>;
      clock?: Clock;
      /** Called when a listener throws; the event still reaches every other listener. Default: ignore. */
      onListenerError?: (error: unknown, event: UnitEvent) => void;
    } = {},
    private readonly clock: Clock = options.clock ?? Date,
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.bus = new EventBus(this.limits.events, options.onListenerError ?? (() => {}), this.limits.eventBytes);
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
    const { status } = this.register(unit, owner);
    if (added.length > 0) this.emit(unit, "dependencies-declared", status, status, "", added);
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
    const record = this.register(unit, owner);
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
    if (record.status !== "pending") this.beginAttempt(record, now);
    record.startRequestedAt ??= now;
    if (blocked) throw dependencyFailed(unit, blocked);
    const unmet = this.store.unmet(unit);
    // Nothing to wait for: started at the instant it was asked, so it shows no wait however busy the clock.
    if (unmet.length === 0) return Promise.resolve(this.markStarted(record, now, now));

    return this.wakeQueue.open(record, signal, progress, now, {
      began: () => {
        this.emit(unit, "wait-began", "pending", "pending", "", unmet);
        progress.onWaiting?.(unmet, unmet.filter((d) => !this.store.units.has(d)));
      },
      ended: (error) => this.emit(unit, "wait-ended", record.status, record.status, error.message),
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
    this.transition(record, "completed", "");
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
    const dependents = this.transition(record, "failed", reason);
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

  // ---- queries --------------------------------------------------------------------------------

  /** Describes any valid name; a name nobody registered reads "not registered". */
  get(unit: string): UnitView {
    this.validName(unit);
    return this.view(unit);
  }

  /** Every registered unit, in registration order. */
  list(): UnitView[] {
    const memo: BlockMemo = new Map();
    return [...this.store.units.keys()].map((name) => this.view(name, memo));
  }

  /** Every named unit (registered or only named as a dependency) and every edge. */
  graphView(): { nodes: UnitView[]; edges: { unit: string; dependsOn: string; required: Condition; satisfied: boolean }[] } {
    const memo: BlockMemo = new Map();
    const nodes = [...this.store.graph.names()].map((name) => this.view(name, memo));
    const edges = nodes.flatMap((node) =>
      node.dependencies.map((d) => ({ unit: node.name, dependsOn: d.dependsOn, required: d.required, satisfied: d.satisfied })),
    );
    return { nodes, edges };
  }

  /** Per-unit waits and runs, in registration order, and the critical chain. */
  timeline(): Timeline {
    const records = [...this.store.units.values()].map(timelineRecord);
    return buildTimeline(records, (unit) => this.store.graph.dependenciesOf(unit));
  }

  events(): UnitEvent[] {
    return this.bus.log.all();
  }

  counts(): { units: number; waiters: number; events: number; droppedEvents: number; edges: number } {
    const { log } = this.bus;
    return {
      units: this.store.units.size,
      waiters: this.wakeQueue.waiterCount,
      events: log.size,
      droppedEvents: log.dropped,
      edges: this.store.graph.edgeCount,
    };
  }

  get lastSeq(): number {
    return this.bus.log.lastSeq;
  }

  /**
   * Calls `listener` for every event from now on. Returns the snapshot taken in the same tick, so
   * no event falls between the snapshot and the first delta.
   */
  subscribe(listener: EventListener): { snapshot: UnitView[]; lastSeq: number; unsubscribe: () => void } {
    const unsubscribe = this.bus.add(listener);
    return { snapshot: this.list(), lastSeq: this.bus.log.lastSeq, unsubscribe };
  }

  get listenerCount(): number {
    return this.bus.listenerCount;
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
    beginRetryAttempt(record, reason, this.clock.now());
    this.emit(unit, "status-changed", "started", "started", `attempt ${record.attempt - 1} failed: ${reason}`);
    return this.view(unit);
  }

  /** Registers `unit` as pending, with no dependency: a plan names it before anyone starts it. */
  declare(unit: string, owner = ""): UnitView {
    this.validName(unit);
    this.store.checkNameLimit([unit], this.limits.units);
    this.register(unit, owner);
    return this.view(unit);
  }

  // ---- internals ------------------------------------------------------------------------------

  private register(unit: string, owner: string): UnitRecord {
    let record = this.store.units.get(unit);
    if (record) return record;
    const now = this.clock.now();
    record = { name: unit, owner, status: "pending", reason: "", registeredAt: now, changedAt: now, attempt: 1, beganAt: now, previous: [] };
    this.store.units.set(unit, record);
    this.store.graph.touch(unit);
    this.emit(unit, "status-changed", "not registered", "pending", "");
    return record;
  }

  /** completed|failed -> pending as attempt n+1; its dependents no longer count it as satisfied. */
  private beginAttempt(record: UnitRecord, now: number): void {
    const from = beginPendingAttempt(record, now);
    if (from === "failed") this.store.failedCount--;
    this.emit(record.name, "status-changed", from, "pending", "");
    // Open waits of direct dependents may need it again; nothing further down changes.
    this.wakeQueue.wake(this.store.graph.dependentsOf(record.name));
  }

  private markStarted(record: UnitRecord, since: number, at = this.clock.now()): StartResult {
    this.transition(record, "started", "", at);
    const dependencies = [...this.store.graph.dependenciesOf(record.name).keys()];
    return { unit: this.view(record.name), dependencies, waitedMs: Math.max(0, at - since) };
  }

  /** Returns, for a failure, the dependents it blocks over blocking edges (see blockedDependents). */
  private transition(record: UnitRecord, to: UnitStatus, reason: string, now = this.clock.now()): string[] {
    const from = record.status;
    record.status = to;
    record.reason = reason;
    record.changedAt = now;
    if (to === "started") record.startedAt = now;
    if (to === "completed" || to === "failed") record.finishedAt = now;
    if (to === "failed") this.store.failedCount++;
    this.emit(record.name, "status-changed", from, to, reason);
    // A unit that completes or fails while its own Start call waits can no longer start.
    record.waiter?.settle(new IllegalTransition(record.name, `unit "${record.name}" was marked ${to} while waiting to start`));
    // A completion or start only changes what its direct dependents wait for; a failure blocks
    // every dependent over blocking edges, and satisfies direct dependents on "finished" edges.
    const dependents = this.store.graph.dependentsOf(record.name);
    const blocked = to === "failed" ? blockedDependents(this.store.graph, record.name) : [];
    this.wakeQueue.wake(to === "failed" ? new Set([...blocked, ...dependents]) : dependents);
    return blocked;
  }

  private validName(name: string): void {
    validateUnitName(name, this.limits.nameLength);
  }

  private view(name: string, memo?: BlockMemo): UnitView {
    return unitView(this.store, name, memo);
  }

  private emit(unit: string, kind: EventKind, from: UnitStatus, to: UnitStatus, reason: string, dependsOn: readonly string[] = []): void {
    const attempt = this.store.units.get(unit)?.attempt ?? 0;
    this.bus.emit({ time: this.clock.now(), unit, kind, from, to, reason, dependsOn, attempt });
  }
}
