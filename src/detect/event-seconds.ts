/**
 * Event times kept per source and destination as whole seconds since
 * 2020-01-01 UTC: small integers (V8 SMIs) are stored inside the object,
 * whereas every millisecond timestamp (a double) costs a separate heap
 * number, which with a million sources is tens of megabytes and as many
 * objects for the garbage collector. Windows are thus judged to the second.
 */

export const EPOCH_MS = Date.UTC(2020, 0, 1);

/** Larger than any second count a log can carry: "never" for window bounds. */
export const NEVER = 0x3fffffff;

export function toSeconds(ms: number): number {
  return Math.floor((ms - EPOCH_MS) / 1000);
}
