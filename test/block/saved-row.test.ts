/**
 * The byte-level reader of blocks.json block lines (saved-row.ts) gives
 * exactly what JSON.parse and readBlockRow give, or leaves the line to them:
 * a table of rows, tsad's own spelling and every other one.
 */
import { describe, expect, it } from 'vitest';
import { RowReader } from '../../src/actions/block/saved-row.js';
import { readBlockRow } from '../../src/actions/block/state.js';

const now = 1_765_000_000_000;
const t = now + 3_600_000;

/** What the slow path makes of a line: the record (its prefix as text), 'expired', or null. */
function slow(line: string): unknown {
  let row: unknown;
  try {
    row = JSON.parse(line);
  } catch {
    return null;
  }
  const r = readBlockRow(row, now);
  return r === null || r === 'expired' ? r : { ...r, parsed: { ...r.parsed, bytes: [...r.parsed.bytes] } };
}

function fast(reader: RowReader, line: string): unknown {
  const buf = Buffer.from(line);
  const r = reader.read(buf, 0, buf.length, now);
  return r === null || r === 'expired' || r === undefined ? r : { ...r, parsed: { ...r.parsed, bytes: [...r.parsed.bytes] } };
}

const rows: Array<[string, 'fast' | 'slow']> = [
  [`["198.51.100.7",${now},${t},5,false,"danger level 5"]`, 'fast'],
  [`["198.51.100.0/24",${now},null,null,true,"manual"]`, 'fast'],
  [`["0.0.0.0/0",0,${t},0,false,""]`, 'fast'],
  [`["2001:db8::1",${now},${t},3,false,"danger level 3"]`, 'fast'],
  [`["2001:DB8:0:0::/64",${now},${t},3,false,"r"]`, 'fast'], // canonicalized by canonicalCidr
  [`["198.51.100.7/32",${now},${t},3,false,"r"]`, 'fast'], // not canonical: canonicalCidr drops the /32
  [`["198.51.100.7/24",${now},${t},3,false,"r"]`, 'fast'], // host bits: canonicalCidr clears them
  [`["198.051.100.7",${now},${t},3,false,"r"]`, 'fast'], // leading zero: refused by both
  [`["198.51.100.300",${now},${t},3,false,"r"]`, 'fast'],
  [`["1.2.3.4/33",${now},${t},3,false,"r"]`, 'fast'],
  [`["1.2.3.4",${now},${now - 1},3,false,"r"]`, 'fast'], // expired
  [`["not an address",${now},${t},3,false,"r"]`, 'slow'],
  [`["1.2.3.4",${now},${t},3,false,"tab\\there"]`, 'slow'], // escapes: JSON.parse reads them
  [`["1.2.3.4",${now},${t},3,false,"é"]`, 'slow'],
  [`["1.2.3.4", ${now},${t},3,false,"r"]`, 'slow'],
  [`["1.2.3.4",0${now},${t},3,false,"r"]`, 'slow'],
  [`["1.2.3.4",${now}.0,${t},3,false,"r"]`, 'slow'],
  [`["1.2.3.4",1e12,${t},3,false,"r"]`, 'slow'],
  [`["1.2.3.4",-5,${t},3,false,"r"]`, 'slow'],
  [`["1.2.3.4",8640000000000001,${t},3,false,"r"]`, 'slow'],
  [`["1.2.3.4",${now},${t},9,false,"r"]`, 'slow'],
  [`["1.2.3.4",${now},${t},33,false,"r"]`, 'slow'],
  [`["1.2.3.4",${now},${t},3,0,"r"]`, 'slow'],
  [`["1.2.3.4",${now},${t},3,false,"r","extra"]`, 'slow'],
  [`["1.2.3.4",${now},${t},3,false]`, 'slow'],
  [`["1.2.3.4",${now},${t},3,false,"]`, 'slow'],
  [`["1.2.3.4",${now},${t},3,false,"a"b"]`, 'slow'],
  [`["1.2.3.4",${now},${t},3,false,"r"`, 'slow'],
];

describe('blocks.json block lines read from bytes', () => {
  it.each(rows)('%s: the same as JSON.parse and readBlockRow (%s path)', (line, path) => {
    const reader = new RowReader();
    const got = fast(reader, line);
    if (path === 'slow') expect(got).toBeUndefined();
    else expect(got).toEqual(slow(line));
  });

  it('reuses one reason string and one prefix for a run of rows, and each row still reads right', () => {
    const reader = new RowReader();
    const lines = ['198.51.100.7', '198.51.100.8', '203.0.113.0/24'].map((c) => `["${c}",${now},${t},3,false,"danger level 3"]`);
    const got = lines.map((l) => {
      const buf = Buffer.from(l);
      const r = reader.read(buf, 0, buf.length, now);
      if (r === null || r === 'expired' || r === undefined) throw new Error(`not read: ${l}`);
      return { cidr: r.cidr, len: r.parsed.len, bytes: [...r.parsed.bytes], reason: r.reason };
    });
    expect(got).toEqual([
      { cidr: '198.51.100.7', len: 32, bytes: [198, 51, 100, 7], reason: 'danger level 3' },
      { cidr: '198.51.100.8', len: 32, bytes: [198, 51, 100, 8], reason: 'danger level 3' },
      { cidr: '203.0.113.0/24', len: 24, bytes: [203, 0, 113, 0], reason: 'danger level 3' },
    ]);
  });
});
