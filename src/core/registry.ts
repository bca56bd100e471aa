// The unit registry: the state machine of every unit, its dependencies, the waiters of open
// Start calls, and the event log that Watch and the timeline read. Pure: no I/O, no timers.
import {
  DependencyFailed,
  IllegalTransition,
  InvalidArgument,
  LimitExceeded,
  UnitNotFound,
} from "./errors.js";
import { DEFAULT_EVENT_BYTES, EventLog, type UnitEvent } from "./event-log.js";
import { DependencyGraph } from "./graph.js";
import { validateUnitName } from "./names.js";
import { type Condition, type UnitStatus, failureBlocks, satisfies } from "./status.js";
import { buildTimeline, type Timeline } from "./timeline.js";

export interface Limits {
  units: number;
  dependenciesPerUnit: number;
  reasonLength: number;
  events: number;
  /** Byte bound of the event log (see eventBytes). */
  eventBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  units: 10_000,
  dependenciesPerUnit: 1_000,
  reasonLength: 4_096,
  events: 100_000,
  eventBytes: DEFAULT_EVENT_BYTES,
};

export interface DependencyView {
  dependsOn: string;
  required: Condition;
  current: UnitStatus;
  satisfied: boolean;
}

export interface BlockedView {
  failedUnit: string;
  reason: string;
  /** From the blocked unit down to the failed unit. */
  chain: string[];
}

export interface UnitView {
  name: string;
  status: UnitStatus;
  ready: boolean;
  dependencies: DependencyView[];
  blocked?: BlockedView;
  reason: string;
  waiting: boolean;
  /** Who registered the unit (for `up`: the script), empty when unknown. */
  owner: string;
  registeredAt?: number;
  changedAt?: number;
}

export interface StartProgress {
  /** The wait could not start at once: what it waits for. */
  onWaiting?(unmet: string[], unregistered: string[]): void;
  /** One dependency reached its required status; `unmet` is what is left. */
  onSatisfied?(dependency: string, status: UnitStatus, unmet: string[]): void;
}

export interface StartResult {
  unit: UnitView;
  dependencies: string[];
  waitedMs: number;
}

interface UnitRecord {
  readonly name: string;
  readonly owner: string;
  status: UnitStatus;
  reason: string;
  readonly registeredAt: number;
  changedAt: number;
  startRequestedAt?: number;
  startedAt?: number;
  finishedAt?: number;
  waiter?: Waiter;
}

interface Waiter {
  readonly unit: string;
  readonly since: number;
  readonly progress: StartProgress;
  unmet: Set<string>;
  settle(error?: Error): void;
}

export type EventListener = (event: UnitEvent) => void;

/** What blockedBy's search learnt of each pending unit it visited: its first hop, or null when not blocked. */
type BlockMemo = Map<string, BlockHop | null>;

/** One step of a blocked chain: from a unit to the dependency that blocks it. */
interface BlockHop {
  /** The dependency on the way to the failed unit (the failed unit itself on the last hop). */
  readonly next: string;
  /** The hop from `next` onwards; undefined when `next` is the failed unit. */
  readonly below: BlockHop | undefined;
  readonly failedUnit: string;
  readonly reason: string;
}

export interface Clock {
  now(): number;
}

export class Registry {
  readonly limits: Limits;
  private readonly units = new Map<string, UnitRecord>();
  private readonly graph = new DependencyGraph();
  private readonly log: EventLog;
  private readonly listeners = new Set<EventListener>();
  private waiterCount = 0;
  /** Units that failed; while 0, no unit can be blocked. */
  private failedCount = 0;
  /** Units whose open waiters must be re-checked, drained by the outermost wake (see wake()). */
  private readonly wakeQueue: string[] = [];
  private draining = false;
  private readonly onListenerError: (error: unknown, event: UnitEvent) => void;

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
    this.log = new EventLog(this.limits.events, this.limits.eventBytes);
    this.onListenerError = options.onListenerError ?? (() => {});
  }

  // ---- commands -------------------------------------------------------------------------------

  /** Registers `unit` and declares that it depends on each of `dependencies`. */
  want(unit: string, dependencies: readonly string[], condition: Condition = "completed", owner = ""): UnitView {
    validateUnitName(unit);
    if (dependencies.length === 0) {
      throw new InvalidArgument(`unit "${unit}" declares no dependencies; name at least one`);
    }
    dependencies.forEach(validateUnitName);
    const unique = [...new Set(dependencies)];
    const existing = this.graph.dependenciesOf(unit);
    const fresh = unique.filter((d) => !existing.has(d));
    const recondition = unique.some((d) => existing.has(d) && existing.get(d) !== condition);
    const record = this.units.get(unit);
    if (record && record.status !== "pending" && (fresh.length > 0 || recondition)) {
      // Re-declaring what is already declared is harmless (a restarted script); new or changed edges are not.
      throw new IllegalTransition(
        unit,
        `unit "${unit}" is already ${record.status}; declare dependencies before starting it`,
      );
    }
    if (existing.size + fresh.length > this.limits.dependenciesPerUnit) {
      throw new LimitExceeded(
        `unit "${unit}" would have ${existing.size + fresh.length} dependencies; the limit is ${this.limits.dependenciesPerUnit}`,
      );
    }
    this.checkNameLimit([unit, ...fresh]);
    const added = this.graph.addEdges(unit, unique, condition);
    this.register(unit, owner);
    if (added.length > 0) this.emit(unit, "dependencies-declared", "pending", "pending", "", added);
    // New edges can add unmet dependencies to an open wait, or block it and its dependents.
    this.wake(this.blockedBy(unit) ? [unit, ...this.blockedDependents(unit)] : [unit]);
    return this.view(unit);
  }

  /**
   * Registers `unit`, waits until every dependency is satisfied, then marks it started. Rejects
   * with DependencyFailed when the unit is or becomes blocked, and with `signal.reason` when the
   * signal aborts (deadline, client cancel, shutdown); the waiter is removed at that moment.
   */
  start(unit: string, signal: AbortSignal, progress: StartProgress = {}, owner = ""): Promise<StartResult> {
    validateUnitName(unit);
    signal.throwIfAborted();
    this.checkNameLimit([unit]);
    const record = this.register(unit, owner);
    if (record.status !== "pending") {
      throw new IllegalTransition(unit, `unit "${unit}" is already ${record.status}`);
    }
    if (record.waiter) {
      throw new IllegalTransition(unit, `unit "${unit}" is already waiting to start in another call`);
    }
    const now = this.clock.now();
    record.startRequestedAt ??= now;
    const blocked = this.blockedBy(unit);
    if (blocked) throw this.dependencyFailed(unit, blocked);
    const unmet = this.unmet(unit);
    if (unmet.length === 0) return Promise.resolve(this.markStarted(record, now));

    return new Promise<StartResult>((resolve, reject) => {
      const onAbort = () => waiter.settle(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
      const waiter: Waiter = {
        unit,
        since: now,
        progress,
        unmet: new Set(unmet),
        settle: (error) => {
          if (record.waiter !== waiter) return;
          record.waiter = undefined;
          this.waiterCount--;
          signal.removeEventListener("abort", onAbort);
          if (error) {
            this.emit(unit, "wait-ended", record.status, record.status, error.message);
            reject(error);
          } else {
            resolve(this.markStarted(record, waiter.since));
          }
        },
      };
      record.waiter = waiter;
      this.waiterCount++;
      signal.addEventListener("abort", onAbort, { once: true });
      this.emit(unit, "wait-began", "pending", "pending", "", unmet);
      progress.onWaiting?.(unmet, unmet.filter((d) => !this.units.has(d)));
    });
  }

  /** pending|started → completed. Completing a completed unit changes nothing. */
  complete(unit: string): { unit: UnitView; changed: boolean } {
    validateUnitName(unit);
    const record = this.mustGet(unit);
    if (record.status === "completed") return { unit: this.view(unit), changed: false };
    if (record.status === "failed") {
      throw new IllegalTransition(unit, `unit "${unit}" already failed (${record.reason || "no reason given"}); it cannot complete`);
    }
    this.transition(record, "completed", "");
    return { unit: this.view(unit), changed: true };
  }

  /** pending|started → failed; every dependent that waits, transitively, fails at once. */
  fail(unit: string, reason: string): { unit: UnitView; changed: boolean; blocked: string[] } {
    validateUnitName(unit);
    if (reason.length > this.limits.reasonLength) {
      throw new InvalidArgument(`reason is ${reason.length} characters; the limit is ${this.limits.reasonLength}`);
    }
    const record = this.mustGet(unit);
    if (record.status === "failed") return { unit: this.view(unit), changed: false, blocked: [] };
    if (record.status === "completed") {
      throw new IllegalTransition(unit, `unit "${unit}" already completed; it cannot fail`);
    }
    const dependents = this.transition(record, "failed", reason);
    // Only pending dependents that are now blocked: one that waits on a started unit is not.
    const memo: BlockMemo = new Map();
    const blocked = dependents.filter(
      (name) => this.units.get(name)?.status === "pending" && this.blockingHop(name, memo) !== undefined,
    );
    return { unit: this.view(unit), changed: true, blocked };
  }

  // ---- queries --------------------------------------------------------------------------------

  /** Describes any valid name; a name nobody registered reads "not registered". */
  get(unit: string): UnitView {
    validateUnitName(unit);
    return this.view(unit);
  }

  /** Every registered unit, in registration order. */
  list(): UnitView[] {
    const memo: BlockMemo = new Map();
    return [...this.units.keys()].map((name) => this.view(name, memo));
  }

  /** Every named unit (registered or only named as a dependency) and every edge. */
  graphView(): { nodes: UnitView[]; edges: { unit: string; dependsOn: string; required: Condition; satisfied: boolean }[] } {
    const memo: BlockMemo = new Map();
    const nodes = [...this.graph.names()].map((name) => this.view(name, memo));
    const edges = nodes.flatMap((node) =>
      node.dependencies.map((d) => ({ unit: node.name, dependsOn: d.dependsOn, required: d.required, satisfied: d.satisfied })),
    );
    return { nodes, edges };
  }

  /** Per-unit waits and runs, in registration order, and the critical chain. */
  timeline(): Timeline {
    const records = [...this.units.values()].map(({ waiter: _waiter, owner: _owner, ...record }) => record);
    return buildTimeline(records, (unit) => this.graph.dependenciesOf(unit));
  }

  events(): UnitEvent[] {
    return this.log.all();
  }

  counts(): { units: number; waiters: number; events: number; droppedEvents: number; edges: number } {
    return {
      units: this.units.size,
      waiters: this.waiterCount,
      events: this.log.size,
      droppedEvents: this.log.dropped,
      edges: this.graph.edgeCount,
    };
  }

  get lastSeq(): number {
    return this.log.lastSeq;
  }

  /**
   * Calls `listener` for every event from now on. Returns the snapshot taken in the same tick, so
   * no event falls between the snapshot and the first delta.
   */
  subscribe(listener: EventListener): { snapshot: UnitView[]; lastSeq: number; unsubscribe: () => void } {
    this.listeners.add(listener);
    return { snapshot: this.list(), lastSeq: this.log.lastSeq, unsubscribe: () => this.listeners.delete(listener) };
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  // ---- internals ------------------------------------------------------------------------------

  /** Units and names that are only dependencies both count towards the unit limit. */
  private checkNameLimit(names: readonly string[]): void {
    const total = this.graph.size + new Set(names.filter((n) => !this.graph.has(n))).size;
    if (total > this.limits.units) {
      throw new LimitExceeded(`the agent holds ${this.graph.size} units; the limit is ${this.limits.units}`);
    }
  }

  private mustGet(unit: string): UnitRecord {
    const record = this.units.get(unit);
    if (!record) throw new UnitNotFound(unit);
    return record;
  }

  private register(unit: string, owner: string): UnitRecord {
    let record = this.units.get(unit);
    if (record) return record;
    const now = this.clock.now();
    record = { name: unit, owner, status: "pending", reason: "", registeredAt: now, changedAt: now };
    this.units.set(unit, record);
    this.graph.touch(unit);
    this.emit(unit, "status-changed", "not registered", "pending", "");
    return record;
  }

  private markStarted(record: UnitRecord, since: number): StartResult {
    this.transition(record, "started", "");
    const dependencies = [...this.graph.dependenciesOf(record.name).keys()];
    return { unit: this.view(record.name), dependencies, waitedMs: Math.max(0, this.clock.now() - since) };
  }

  /** Returns, for a failure, the dependents it blocks over blocking edges (see blockedDependents). */
  private transition(record: UnitRecord, to: UnitStatus, reason: string): string[] {
    const from = record.status;
    const now = this.clock.now();
    record.status = to;
    record.reason = reason;
    record.changedAt = now;
    if (to === "started") record.startedAt = now;
    if (to === "completed" || to === "failed") record.finishedAt = now;
    if (to === "failed") this.failedCount++;
    this.emit(record.name, "status-changed", from, to, reason);
    // A unit that completes or fails while its own Start call waits can no longer start.
    record.waiter?.settle(new IllegalTransition(record.name, `unit "${record.name}" was marked ${to} while waiting to start`));
    // A completion or start only changes what its direct dependents wait for; a failure blocks
    // every dependent over blocking edges, and satisfies direct dependents on "finished" edges.
    const dependents = this.graph.dependentsOf(record.name);
    const blocked = to === "failed" ? this.blockedDependents(record.name) : [];
    this.wake(to === "failed" ? new Set([...blocked, ...dependents]) : dependents);
    return blocked;
  }

  /**
   * Re-checks the open waiters of these units. A waiter that settles starts its unit, whose
   * transition wakes its own dependents: those only join the queue, which the outermost call
   * drains in order, so a chain of any length never deepens the stack and a unit's start comes
   * before its dependents'. A unit queued twice is re-checked twice; a settled waiter is gone by then.
   */
  private wake(names: Iterable<string>): void {
    for (const name of names) this.wakeQueue.push(name);
    if (this.draining) return;
    this.draining = true;
    let failure: { error: unknown } | undefined;
    try {
      for (let next = 0; next < this.wakeQueue.length; next++) {
        const waiter = this.units.get(this.wakeQueue[next]!)?.waiter;
        if (!waiter) continue;
        try {
          this.evaluate(waiter);
        } catch (error) {
          // A progress callback threw: the other waiters are still re-checked, then the caller hears of it.
          failure ??= { error };
        }
      }
    } finally {
      this.wakeQueue.length = 0;
      this.draining = false;
    }
    if (failure) throw failure.error;
  }

  private evaluate(waiter: Waiter): void {
    const blocked = this.blockedBy(waiter.unit);
    if (blocked) return waiter.settle(this.dependencyFailed(waiter.unit, blocked));
    const unmet = this.unmet(waiter.unit);
    const still = new Set(unmet);
    const added = unmet.filter((d) => !waiter.unmet.has(d));
    for (const dep of waiter.unmet) {
      if (still.has(dep)) continue;
      waiter.unmet.delete(dep);
      waiter.progress.onSatisfied?.(dep, this.statusOf(dep), unmet);
    }
    if (added.length > 0) {
      waiter.unmet = still;
      waiter.progress.onWaiting?.(unmet, unmet.filter((d) => !this.units.has(d)));
    }
    if (unmet.length === 0) waiter.settle();
  }

  /** Units that can no longer start if `unit` fails: dependents reached over blocking edges. */
  private blockedDependents(unit: string): string[] {
    const seen = new Set<string>([unit]);
    const out: string[] = [];
    const queue = [unit];
    for (let next = 0; next < queue.length; next++) {
      const node = queue[next]!;
      for (const dependent of this.graph.dependentsOf(node)) {
        if (seen.has(dependent)) continue;
        if (!failureBlocks(this.graph.dependenciesOf(dependent).get(node)!)) continue;
        seen.add(dependent);
        out.push(dependent);
        queue.push(dependent);
      }
    }
    return out;
  }

  private statusOf(name: string): UnitStatus {
    return this.units.get(name)?.status ?? "not registered";
  }

  private unmet(unit: string): string[] {
    const out: string[] = [];
    for (const [dep, condition] of this.graph.dependenciesOf(unit)) {
      if (!satisfies(condition, this.statusOf(dep))) out.push(dep);
    }
    return out;
  }

  /**
   * The failed unit that makes `unit` unable to start, and the chain down to it; undefined when
   * nothing blocks it. Only pending units are searched: a unit that started was never blocked.
   * `memo` may be shared by calls that see the same state (list, graphView).
   */
  private blockedBy(unit: string, memo: BlockMemo = new Map()): BlockedView | undefined {
    const hop = this.blockingHop(unit, memo);
    if (!hop) return undefined;
    const chain = [unit];
    for (let at: BlockHop | undefined = hop; at; at = at.below) chain.push(at.next);
    return { failedUnit: hop.failedUnit, reason: hop.reason, chain };
  }

  /**
   * The first hop of blockedBy's chain. A depth-first search over blocking edges in declaration
   * order, with an explicit stack so a chain of any length fits; every pending unit it finishes
   * is memoised with its own first hop (or null), so later calls sharing `memo` reuse it.
   */
  private blockingHop(unit: string, memo: BlockMemo): BlockHop | undefined {
    // Nothing can be blocked before something fails: the common case skips the search entirely.
    if (this.failedCount === 0) return undefined;
    const known = memo.get(unit);
    if (known !== undefined) return known ?? undefined;
    memo.set(unit, null); // no cycles exist, but mark before descending for diamonds
    const stack = [{ unit, dependencies: this.graph.dependenciesOf(unit).entries() }];
    /** The frame finished last, when it is blocked: its parent is blocked through it. */
    let below: { unit: string; hop: BlockHop } | undefined;
    let found: BlockHop | undefined;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      found = below && { next: below.unit, below: below.hop, failedUnit: below.hop.failedUnit, reason: below.hop.reason };
      below = undefined;
      let descend: string | undefined;
      // Resumes the frame's dependencies where it left off before descending.
      for (let step = found ? undefined : frame.dependencies.next(); step && !step.done && !found; step = frame.dependencies.next()) {
        const [dep, condition] = step.value;
        if (!failureBlocks(condition)) continue;
        const record = this.units.get(dep);
        if (record?.status === "failed") {
          found = { next: dep, below: undefined, failedUnit: dep, reason: record.reason };
        } else if (record?.status === "pending") {
          const memoised = memo.get(dep);
          if (memoised) found = { next: dep, below: memoised, failedUnit: memoised.failedUnit, reason: memoised.reason };
          else if (memoised === undefined) {
            descend = dep;
            break;
          }
        }
      }
      if (descend !== undefined) {
        memo.set(descend, null);
        stack.push({ unit: descend, dependencies: this.graph.dependenciesOf(descend).entries() });
        continue;
      }
      memo.set(frame.unit, found ?? null);
      stack.pop();
      if (found) below = { unit: frame.unit, hop: found };
    }
    return found;
  }

  private dependencyFailed(unit: string, blocked: BlockedView): DependencyFailed {
    return new DependencyFailed(unit, blocked.failedUnit, blocked.reason, blocked.chain);
  }

  private view(name: string, memo?: BlockMemo): UnitView {
    const record = this.units.get(name);
    const dependencies: DependencyView[] = [];
    for (const [dependsOn, required] of this.graph.dependenciesOf(name)) {
      const current = this.statusOf(dependsOn);
      dependencies.push({ dependsOn, required, current, satisfied: satisfies(required, current) });
    }
    const blocked = record?.status === "pending" ? this.blockedBy(name, memo) : undefined;
    return {
      name,
      status: record?.status ?? "not registered",
      ready: dependencies.every((d) => d.satisfied),
      dependencies,
      ...(blocked ? { blocked } : {}),
      reason: record?.reason ?? "",
      waiting: record?.waiter !== undefined,
      owner: record?.owner ?? "",
      ...(record ? { registeredAt: record.registeredAt, changedAt: record.changedAt } : {}),
    };
  }

  private emit(
    unit: string,
    kind: UnitEvent["kind"],
    from: UnitStatus,
    to: UnitStatus,
    reason: string,
    dependsOn: readonly string[] = [],
  ): void {
    const event = this.log.append({ time: this.clock.now(), unit, kind, from, to, reason, dependsOn });
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // A broken listener (say, a Watch stream) must not stop the transition or the other listeners.
        try {
          this.onListenerError(error, event);
        } catch {
          // nothing left to tell
        }
      }
    }
  }
}
