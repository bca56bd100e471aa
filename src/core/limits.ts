// The registry's configurable limits and their defaults (each has an agent flag).
import { DEFAULT_EVENT_BYTES } from "./event-log.js";
import { MAX_NAME_LENGTH } from "./names.js";

export interface Limits {
  units: number;
  dependenciesPerUnit: number;
  reasonLength: number;
  events: number;
  /** Byte bound of the event log (see eventBytes). */
  eventBytes: number;
  /** Characters (code points) in a unit name. */
  nameLength: number;
}

export const DEFAULT_LIMITS: Limits = {
  units: 10_000,
  dependenciesPerUnit: 1_000,
  reasonLength: 4_096,
  events: 100_000,
  eventBytes: DEFAULT_EVENT_BYTES,
  nameLength: MAX_NAME_LENGTH,
};
