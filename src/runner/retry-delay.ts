// The pause before a retry: the --retry-delay after the first failure, doubling after each
// further one, capped so a long run of failures still retries twice a minute.

export const MAX_RETRY_DELAY_MS = 30_000;

/** The delay after failed attempt number `failed` (1-based). */
export function retryDelay(baseMs: number, failed: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, failed - 1), MAX_RETRY_DELAY_MS);
}
