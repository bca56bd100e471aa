// Small text helpers for the renderers: XML escaping, durations, and offsets as people read them.

/** Escapes text for XML/HTML element content and attributes (and drops what XML cannot hold). */
export function escapeXml(text: string): string {
  return printable(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** 250ms, 1.25s, 12.5s, 2m5s: the same forms as the text timeline. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 10_000) return `${(ms / 1_000).toFixed(2)}s`;
  if (ms < 59_950) return `${(ms / 1_000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1_000);
  return `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}

/** An axis label: 0, 500ms, 1s, 1.5s, 2m, 2m30s. */
export function formatTick(ms: number): string {
  if (ms === 0) return "0";
  if (ms < 1_000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1_000).toFixed(3)}s`;
  const seconds = Math.round(ms / 1_000);
  return seconds % 60 === 0 ? `${seconds / 60}m` : `${Math.floor(seconds / 60)}m${seconds % 60}s`;
}

/** An absolute time as an ISO string, or "" when the origin is unknown. */
export function isoAt(origin: number, offset: number): string {
  return Number.isFinite(origin) ? new Date(origin + offset).toISOString() : "";
}

/** At most `max` characters, an ellipsis marking the cut. */
export function clip(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

/**
 * Characters XML cannot carry even escaped (control characters but tab and newline, lone
 * surrogates, U+FFFE/U+FFFF), possible in failure reasons, shown as U+FFFD.
 */
export const printable = (text: string): string =>
  text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
