/** Small pieces shared by several backends. */
export type BlockTarget = 'DROP' | 'REJECT' | 'TARPIT';

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function familyOf(cidr: string): 4 | 6 {
  return cidr.includes(':') ? 6 : 4;
}
