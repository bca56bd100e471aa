// How many more streams one connection may reset before the agent's HTTP/2 server closes it:
// nghttp2 (Node's HTTP/2) answers a burst of more than 1,000 RST_STREAMs, refilled at 33 a second,
// with GOAWAY. The client keeps its own count, assuming every open call may yet be cancelled, and
// moves new calls to a fresh connection before a burst of cancels could cross the limit.

/** nghttp2's defaults for a server (nghttp2_option_set_stream_reset_rate_limit). */
const BURST = 1_000;
const PER_SECOND = 33;
/** Kept in hand for what the count cannot see (a reset Node sends on its own). */
const MARGIN = 100;

export class ResetBudget {
  #tokens = BURST;
  #at = Date.now();

  #refill(): number {
    const now = Date.now();
    this.#tokens = Math.min(BURST, this.#tokens + ((now - this.#at) / 1_000) * PER_SECOND);
    this.#at = now;
    return this.#tokens;
  }

  /** Whether `open` calls on the connection could all be cancelled at once within the budget. */
  allows(open: number): boolean {
    return this.#refill() - open >= MARGIN;
  }

  /** One RST_STREAM sent. */
  spend(): void {
    this.#refill();
    this.#tokens -= 1;
  }
}
