// The event log and its listeners: every change is appended with the next seq and delivered, in
// order, to every subscriber (Watch streams); a throwing listener stops nothing.
import { EventLog, type UnitEvent } from "./event-log.js";

export type EventListener = (event: UnitEvent) => void;

export class EventBus {
  readonly log: EventLog;
  private readonly listeners = new Set<EventListener>();

  constructor(
    capacity: number,
    private readonly onListenerError: (error: unknown, event: UnitEvent) => void,
    maxBytes?: number,
  ) {
    this.log = new EventLog(capacity, maxBytes);
  }

  /** Appends `event` and delivers it to every listener; returns it with its seq. */
  emit(event: Omit<UnitEvent, "seq">): UnitEvent {
    const full = this.log.append(event);
    for (const listener of this.listeners) {
      try {
        listener(full);
      } catch (error) {
        // A broken listener (say, a Watch stream) must not stop the transition or the other listeners.
        try {
          this.onListenerError(error, full);
        } catch {
          // nothing left to tell
        }
      }
    }
    return full;
  }

  add(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }
}
