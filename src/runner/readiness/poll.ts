// Polling for the checks that must poll: try at once, then after 50 ms, doubling up to 1 s between
// tries — a short wait when the service is quick, and no busy loop when it is slow. A try that
// costs next to nothing (a loopback connect) may first repeat every 25 ms for 2 s.
import { setTimeout as sleep } from "node:timers/promises";

export const FIRST_DELAY_MS = 50;
export const MAX_DELAY_MS = 1_000;

/** Tries of a cheap check 25 ms apart before the doubling begins: 2 s of them. */
export const QUICK_DELAY_MS = 25;
export const QUICK_TRIES = 80;

/** The delay before try number `n` (1-based; try 1 is immediate); `quick` for a cheap try. */
export function pollDelay(n: number, quick = false): number {
  if (n <= 1) return 0;
  if (quick && n <= QUICK_TRIES + 1) return QUICK_DELAY_MS;
  return Math.min(FIRST_DELAY_MS * 2 ** (n - 2 - (quick ? QUICK_TRIES : 0)), MAX_DELAY_MS);
}

/**
 * Calls `probe` until it returns undefined (ready). A returned string is why it is not ready yet;
 * it goes to `onError` when it differs from the last one. Rejects with `signal.reason` on abort.
 */
export async function poll(
  signal: AbortSignal,
  probe: (signal: AbortSignal) => Promise<string | undefined>,
  onError: (error: string) => void,
  options: { quick?: boolean } = {},
): Promise<void> {
  let last: string | undefined;
  for (let n = 1; ; n++) {
    const delay = pollDelay(n, options.quick);
    if (delay > 0) await sleep(delay, undefined, { signal });
    signal.throwIfAborted();
    const error = await probe(signal);
    signal.throwIfAborted();
    if (error === undefined) return;
    if (error !== last) onError((last = error));
  }
}
