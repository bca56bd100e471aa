// Cycles in a whole set of "depends on" edges at once: for checking a plan, or a plan together
// with what the agent holds, before any of it is declared.

/**
 * Every cycle a depth-first search meets, each as a path that starts and ends with the same name,
 * each arrow "depends on" (`a -> b -> c -> a`). A cycle through the same names is reported once.
 * Iterative, so a deep chain cannot overflow the stack.
 */
export function findCycles(dependencies: (name: string) => Iterable<string>, names: Iterable<string>): string[][] {
  const state = new Map<string, "open" | "done">();
  const cycles: string[][] = [];
  const seen = new Set<string>();
  for (const root of names) {
    if (state.has(root)) continue;
    const path: string[] = [root];
    const iterators: Iterator<string>[] = [dependencies(root)[Symbol.iterator]()];
    state.set(root, "open");
    while (path.length > 0) {
      const step = iterators.at(-1)!.next();
      if (step.done) {
        state.set(path.pop()!, "done");
        iterators.pop();
        continue;
      }
      const next = step.value;
      const at = state.get(next);
      if (at === "open") {
        const cycle = [...path.slice(path.lastIndexOf(next)), next];
        const key = [...new Set(cycle)].sort().join("\u0000");
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (at === undefined) {
        state.set(next, "open");
        path.push(next);
        iterators.push(dependencies(next)[Symbol.iterator]());
      }
    }
  }
  return cycles;
}
