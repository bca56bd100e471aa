// Server-stream writes spread over event-loop turns. One change can wake thousands of Start
// streams; written in the turn that woke them, not a byte leaves until every message and status
// is built. A batch per turn lets the HTTP/2 session put each batch on the socket, and the
// clients read it on the other cores, while the agent builds the next.

/** Runs stream operations in the order given, at most `perTurn` of them in one event-loop turn. */
export class Outbox {
  /** Waiting operations from `head` on; the run ones before it are dropped a batch at a time. */
  private queue: (() => void)[] = [];
  private head = 0;
  private spent = 0;
  private scheduled = false;
  /** A batch is running: what it queues goes behind the rest of the batch. */
  private draining = false;

  constructor(
    private readonly perTurn: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Runs `op` now while this turn has room and nothing waits; otherwise on a later turn, after every op queued before it. */
  run(op: () => void): void {
    this.schedule();
    if (this.draining || this.waiting > 0 || this.spent >= this.perTurn) {
      this.queue.push(op);
      return;
    }
    this.spent++;
    this.call(op);
  }

  /** Operations waiting for a later turn. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  private call(op: () => void): void {
    try {
      op();
    } catch (error) {
      this.onError(error);
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.turn);
  }

  private readonly turn = (): void => {
    this.scheduled = false;
    this.spent = 0;
    if (this.waiting === 0) return;
    this.schedule();
    const end = Math.min(this.queue.length, this.head + this.perTurn);
    const batch = this.queue.slice(this.head, end);
    this.head = end;
    if (this.head * 2 >= this.queue.length) {
      // Copied down once half is run: each operation is copied at most once on average.
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.spent = batch.length;
    this.draining = true;
    try {
      for (const op of batch) this.call(op);
    } finally {
      this.draining = false;
    }
  };
}
