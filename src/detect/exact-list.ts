/**
 * A copy of `list` with `item` added, exactly sized: a pushed array reserves
 * room for 16 more, which for the short lists that many sources keep
 * (reasons, signature matches, a few destination hashes) was most of their
 * memory. Meant for lists that stay short (a copy per item).
 */
export function grown<T>(list: readonly T[], item: T): T[] {
  const out = new Array<T>(list.length + 1);
  for (let i = 0; i < list.length; i++) out[i] = list[i] as T;
  out[list.length] = item;
  return out;
}
