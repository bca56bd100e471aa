// Polling for the checks that must poll: try at once, then after 50 ms, doubling up to 1 s between
// tries — a short wait when the service is quick, and no busy loop when it is slow.
import { setTimeout as sleep } from "node:timers/promises";

export const FIRST_DELAY_MS = 50;
export const MAX_DELAY_MS = 1_000;

/** The delay before try number `n` (1-based; try 1 is immediate). */
export function pollDelay(n: number): number {
  return n <= 1 ? 0 : Math.min(FIRST_DELAY_MS * 2 ** (n - 2), MAX_DELAY_MS);
}

/**
 * Calls `probe` until it returns undefined (ready). A returned string is why it is not ready yet;
 * it goes to `onError` when it differs from the last one. Rejects with `signal.reason` on abort.
 */
export async function poll(
  signal: AbortSignal,
  probe: (signal: AbortSignal) => Promise<string | undefined>,
  onError: (error: string) => void,
): Promise<void> {
  let last: string | undefined;
  for (let n = 1; ; n++) {
    const delay = pollDelay(n);
    if (delay > 0) await sleep(delay, undefined, { signal });
    signal.throwIfAborted();
    const error = await probe(signal);
    signal.throwIfAborted();
    if (error === undefined) return;
    if (error !== last) onError((last = error));
  }
}
