// A random id for one call, such as a Start's start_id: it tells one call's retries apart from
// every other call, it guards nothing (any client of the socket may complete any unit). Math.random
// is seeded by V8 from the operating system in every process; node:crypto would cost each CLI
// call a few milliseconds of loading.

/** A version-4 UUID. */
export function callId(): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16));
  hex[12] = "4";
  hex[16] = "89ab"[Math.floor(Math.random() * 4)]!;
  const h = hex.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
