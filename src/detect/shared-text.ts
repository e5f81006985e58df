/**
 * One copy of texts that many sources keep alike. Level-change reasons are
 * built from template pieces (V8 cons strings: a tree of ~5 nodes each) and
 * repeat: 786 distinct texts among 304,136 on the 1M-line bench log, 62 MB
 * of heap as trees. Kept here flat and shared, they cost a few hundred KB.
 */
const MAX_SHARED = 4096;
const shared = new Map<string, string>();

/** A flat copy of `s` (a round trip through JSON makes V8 copy the characters into one sequential string). */
function flat(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

/** The one shared, flat copy of `s` (a flat copy of its own once MAX_SHARED texts are kept). */
export function sharedText(s: string): string {
  const known = shared.get(s);
  if (known !== undefined) return known;
  const f = flat(s);
  if (shared.size < MAX_SHARED) shared.set(f, f);
  return f;
}
