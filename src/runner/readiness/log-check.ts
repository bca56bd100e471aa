// log:REGEX — ready once a line of the command's stdout or stderr matches. The output itself
// passes through unchanged (see output-tap.ts); this only looks at it.
import type { CheckContext, ReadinessCheck } from "./check.js";

export function logCheck(spec: string, pattern: RegExp, context: CheckContext): ReadinessCheck {
  let matched = false;
  let wake: (() => void) | undefined;
  // Subscribed before the command starts, so no line can pass unseen.
  const unsubscribe = context.onLine((line) => {
    pattern.lastIndex = 0;
    if (matched || !pattern.test(line)) return;
    matched = true;
    unsubscribe();
    wake?.();
  });
  return {
    spec,
    wait: (signal, onError) =>
      new Promise<void>((resolve, reject) => {
        if (matched) return resolve();
        signal.throwIfAborted();
        onError("no matching line yet");
        const onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        wake = () => {
          signal.removeEventListener("abort", onAbort);
          resolve();
        };
      }),
    close: unsubscribe,
  };
}
