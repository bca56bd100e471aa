// The registry's configurable limits and their defaults (each has an agent flag).
import { MAX_NAME_LENGTH } from "./names.js";

export interface Limits {
  units: number;
  dependenciesPerUnit: number;
  reasonLength: number;
  events: number;
  /** Characters (code points) in a unit name. */
  nameLength: number;
}

export const DEFAULT_LIMITS: Limits = {
  units: 10_000,
  dependenciesPerUnit: 1_000,
  reasonLength: 4_096,
  events: 100_000,
  nameLength: MAX_NAME_LENGTH,
};
