// The registry's state and its read side: views of one unit, of every unit and of the graph, the
// timeline, the event log, counts, and Watch's subscription with its snapshot. The commands that
// change the state are Registry's (registry.ts). Pure: no I/O, no timers.
import type { BlockMemo } from "./blocked-by.js";
import type { EventBus, EventListener } from "./event-bus.js";
import type { UnitEvent } from "./event-log.js";
import type { Limits } from "./limits.js";
import { validateUnitName } from "./names.js";
import type { Condition } from "./status.js";
import { buildTimeline, type Timeline } from "./timeline.js";
import { timelineRecord, type UnitStore } from "./unit-store.js";
import { type UnitView, unitView } from "./unit-views.js";
import type { WakeQueue } from "./wake-queue.js";

export class RegistryReads {
  constructor(
    readonly limits: Limits,
    protected readonly store: UnitStore,
    protected readonly bus: EventBus,
    protected readonly wakeQueue: WakeQueue,
  ) {}

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


  protected validName(name: string): void {
    validateUnitName(name, this.limits.nameLength);
  }

  protected view(name: string, memo?: BlockMemo): UnitView {
    return unitView(this.store, name, memo);
  }
}
