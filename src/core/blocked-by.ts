// The blocked-by search: which failed unit makes a pending unit unable to start, and the chain
// down to it; and which dependents a failure blocks. Reads the unit store, changes nothing.
import { DependencyFailed } from "./errors.js";
import type { DependencyGraph } from "./graph.js";
import { failureBlocks } from "./status.js";
import type { UnitStore } from "./unit-store.js";

export interface BlockedView {
  failedUnit: string;
  reason: string;
  /** From the blocked unit down to the failed unit. */
  chain: string[];
}

/** What the search learnt of each pending unit it visited: its first hop, or null when not blocked. */
export type BlockMemo = Map<string, BlockHop | null>;

/** One step of a blocked chain: from a unit to the dependency that blocks it. */
interface BlockHop {
  /** The dependency on the way to the failed unit (the failed unit itself on the last hop). */
  readonly next: string;
  /** The hop from `next` onwards; undefined when `next` is the failed unit. */
  readonly below: BlockHop | undefined;
  readonly failedUnit: string;
  readonly reason: string;
}

/**
 * The failed unit that makes `unit` unable to start, and the chain down to it; undefined when
 * nothing blocks it. Only pending units are searched: a unit that started was never blocked.
 * `memo` may be shared by calls that see the same state (list, graphView).
 */
export function blockedBy(store: UnitStore, unit: string, memo: BlockMemo = new Map()): BlockedView | undefined {
  const hop = blockingHop(store, unit, memo);
  if (!hop) return undefined;
  const chain = [unit];
  for (let at: BlockHop | undefined = hop; at; at = at.below) chain.push(at.next);
  return { failedUnit: hop.failedUnit, reason: hop.reason, chain };
}

/** Whether `unit` is blocked (cheaper than blockedBy when the chain is not needed). */
export function isBlocked(store: UnitStore, unit: string, memo: BlockMemo): boolean {
  return blockingHop(store, unit, memo) !== undefined;
}

export function dependencyFailed(unit: string, blocked: BlockedView): DependencyFailed {
  return new DependencyFailed(unit, blocked.failedUnit, blocked.reason, blocked.chain);
}

/** Units that can no longer start if `unit` fails: dependents reached over blocking edges. */
export function blockedDependents(graph: DependencyGraph, unit: string): string[] {
  const seen = new Set<string>([unit]);
  const out: string[] = [];
  const queue = [unit];
  for (let next = 0; next < queue.length; next++) {
    const node = queue[next]!;
    for (const dependent of graph.dependentsOf(node)) {
      if (seen.has(dependent)) continue;
      if (!failureBlocks(graph.dependenciesOf(dependent).get(node)!)) continue;
      seen.add(dependent);
      out.push(dependent);
      queue.push(dependent);
    }
  }
  return out;
}

/**
 * The first hop of blockedBy's chain. A depth-first search over blocking edges in declaration
 * order, with an explicit stack so a chain of any length fits; every pending unit it finishes
 * is memoised with its own first hop (or null), so later calls sharing `memo` reuse it.
 */
function blockingHop(store: UnitStore, unit: string, memo: BlockMemo): BlockHop | undefined {
  // Nothing can be blocked before something fails: the common case skips the search entirely.
  if (store.failedCount === 0) return undefined;
  const known = memo.get(unit);
  if (known !== undefined) return known ?? undefined;
  memo.set(unit, null); // no cycles exist, but mark before descending for diamonds
  const { graph, units } = store;
  const stack = [{ unit, dependencies: graph.dependenciesOf(unit).entries() }];
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
      const record = units.get(dep);
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
      stack.push({ unit: descend, dependencies: graph.dependenciesOf(descend).entries() });
      continue;
    }
    memo.set(frame.unit, found ?? null);
    stack.pop();
    if (found) below = { unit: frame.unit, hop: found };
  }
  return found;
}
