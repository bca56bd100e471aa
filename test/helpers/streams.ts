// Test helpers for server streams: consume one in the background, recording each message and how it ended.
import type { ServiceError } from "@grpc/grpc-js";
import { eventually } from "./agent.js";

export interface Consumed<T> {
  /** Messages received so far, in arrival order. */
  readonly messages: T[];
  /** Resolves when the stream ends: undefined for OK, the gRPC error otherwise. Never rejects. */
  readonly ended: Promise<ServiceError | undefined>;
  /** True once the stream has ended. */
  isEnded(): boolean;
  /** Resolves once `count` messages have arrived (bounded). */
  received(count: number): Promise<void>;
}

/** Reads `stream` to its end in the background; `onMessage` runs as each message arrives. */
export function consume<T>(stream: AsyncIterable<T>, onMessage: (message: T) => void = () => {}): Consumed<T> {
  const messages: T[] = [];
  let done = false;
  const ended = (async () => {
    try {
      for await (const message of stream) {
        messages.push(message);
        onMessage(message);
      }
      return undefined;
    } catch (error) {
      return error as ServiceError;
    } finally {
      done = true;
    }
  })();
  return {
    messages,
    ended,
    isEnded: () => done,
    received: (count) => eventually(() => messages.length >= count || done, `${count} stream messages`).then(() => {
      if (messages.length < count) throw new Error(`stream ended after ${messages.length} of ${count} messages`);
    }),
  };
}

/** Rejects when `promise` has not settled within `limitMs`: a bound for "at once", not a speed measure. */
export function within<T>(promise: Promise<T>, limitMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for: ${what}`)), limitMs);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

