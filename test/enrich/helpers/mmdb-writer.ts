/**
 * A small MaxMind DB (format 2.0) writer for tests: builds the binary search
 * tree, the data section and the metadata, so that GeoLite2-schema files can
 * be made here without a download or licence key and read by the real
 * maxmind reader. Spec: https://maxmind.github.io/MaxMind-DB/
 * 24-bit records; later, longer prefixes may be nested inside earlier ones.
 */
import { parseCidr } from '../../../src/net/address.js';

export type MmdbValue = string | number | bigint | boolean | MmdbValue[] | { [k: string]: MmdbValue };

export interface MmdbEntry {
  cidr: string;
  data: MmdbValue;
}

const T_STRING = 2;
const T_DOUBLE = 3;
const T_MAP = 7;
const T_UINT16 = 5;
const T_UINT32 = 6;
const T_UINT64 = 9;
const T_ARRAY = 11;
const T_BOOLEAN = 14;

function control(type: number, size: number): Buffer {
  const sizeBytes: number[] = [];
  let bits: number;
  if (size < 29) bits = size;
  else if (size < 29 + 256) {
    bits = 29;
    sizeBytes.push(size - 29);
  } else if (size < 285 + 65536) {
    bits = 30;
    const v = size - 285;
    sizeBytes.push(v >> 8, v & 255);
  } else {
    bits = 31;
    const v = size - 65821;
    sizeBytes.push((v >> 16) & 255, (v >> 8) & 255, v & 255);
  }
  const head = type <= 7 ? [(type << 5) | bits] : [bits, type - 7];
  return Buffer.from([...head, ...sizeBytes]);
}

function uintBytes(v: bigint): Buffer {
  const out: number[] = [];
  while (v > 0n) {
    out.unshift(Number(v & 255n));
    v >>= 8n;
  }
  return Buffer.from(out);
}

export function encode(v: MmdbValue): Buffer {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([control(T_STRING, b.length), b]);
  }
  if (typeof v === 'boolean') return control(T_BOOLEAN, v ? 1 : 0);
  if (typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v) && v >= 0)) {
    const big = BigInt(v);
    const type = big < 65536n ? T_UINT16 : big < 4294967296n ? T_UINT32 : T_UINT64;
    const b = uintBytes(big);
    return Buffer.concat([control(type, b.length), b]);
  }
  if (typeof v === 'number') {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return Buffer.concat([control(T_DOUBLE, 8), b]);
  }
  if (Array.isArray(v)) return Buffer.concat([control(T_ARRAY, v.length), ...v.map(encode)]);
  const pairs = Object.entries(v);
  return Buffer.concat([control(T_MAP, pairs.length), ...pairs.flatMap(([k, x]) => [encode(k), encode(x)])]);
}

interface Leaf {
  data: number;
}
interface Node {
  kids: [Node | Leaf | null, Node | Leaf | null];
}

function isLeaf(c: Node | Leaf | null): c is Leaf {
  return c !== null && 'data' in c;
}

function bitsOf(cidr: string, ipVersion: 4 | 6): { bytes: Uint8Array; len: number } {
  const c = parseCidr(cidr);
  if (c === null) throw new Error(`bad CIDR ${cidr}`);
  if (c.family === 6 && ipVersion === 4) throw new Error(`IPv6 ${cidr} in an IPv4 database`);
  if (c.family === 4 && ipVersion === 6) {
    const b = new Uint8Array(16);
    b.set(c.bytes, 12);
    return { bytes: b, len: c.len + 96 };
  }
  return { bytes: c.bytes, len: c.len };
}

function insert(root: Node, bytes: Uint8Array, len: number, leaf: Leaf): void {
  let node = root;
  for (let i = 0; i < len; i++) {
    const bit = (((bytes[i >> 3] as number) >> (7 - (i & 7))) & 1) as 0 | 1;
    if (i === len - 1) {
      node.kids[bit] = leaf;
      return;
    }
    let next = node.kids[bit];
    if (next === null) next = { kids: [null, null] };
    else if (isLeaf(next)) next = { kids: [next, next] }; // split a shorter prefix around the longer one
    node.kids[bit] = next;
    node = next;
  }
}

export interface MmdbOptions {
  ipVersion?: 4 | 6;
  databaseType: string;
  description?: string;
  buildEpoch?: number;
}

/** The bytes of an mmdb file holding the entries. */
export function buildMmdb(entries: MmdbEntry[], opts: MmdbOptions): Buffer {
  const ipVersion = opts.ipVersion ?? 6;
  const dataParts: Buffer[] = [];
  let dataSize = 0;
  const root: Node = { kids: [null, null] };
  for (const e of entries) {
    const enc = encode(e.data);
    const leaf = { data: dataSize };
    dataParts.push(enc);
    dataSize += enc.length;
    const { bytes, len } = bitsOf(e.cidr, ipVersion);
    if (len === 0) throw new Error('a /0 entry is not supported');
    insert(root, bytes, len, leaf);
  }
  // Number the nodes breadth first; the root is node 0.
  const order: Node[] = [root];
  for (let i = 0; i < order.length; i++) for (const k of (order[i] as Node).kids) if (k !== null && !isLeaf(k)) order.push(k);
  const ids = new Map<Node, number>(order.map((n, i) => [n, i]));
  const nodeCount = order.length;
  const record = (k: Node | Leaf | null): number => (k === null ? nodeCount : isLeaf(k) ? nodeCount + 16 + k.data : (ids.get(k) as number));
  const tree = Buffer.alloc(nodeCount * 6);
  order.forEach((n, i) => {
    tree.writeUIntBE(record(n.kids[0]), i * 6, 3);
    tree.writeUIntBE(record(n.kids[1]), i * 6 + 3, 3);
  });
  const metadata = encode({
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: BigInt(opts.buildEpoch ?? 1700000000),
    database_type: opts.databaseType,
    description: { en: opts.description ?? 'tsad test database' },
    ip_version: ipVersion,
    languages: ['en'],
    node_count: nodeCount,
    record_size: 24,
  });
  const marker = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');
  return Buffer.concat([tree, Buffer.alloc(16), ...dataParts, marker, metadata]);
}

/** GeoLite2-Country style record. */
export function countryRecord(iso: string, name: string): MmdbValue {
  const country = { geoname_id: 1000 + iso.charCodeAt(0) * 100 + iso.charCodeAt(1), iso_code: iso, names: { en: name } };
  return { continent: { code: 'EU', geoname_id: 6255148, names: { en: 'Europe' } }, country, registered_country: country };
}

/** GeoLite2-City style record. */
export function cityRecord(iso: string, city: string): MmdbValue {
  return {
    city: { geoname_id: 2643743, names: { en: city, de: city } },
    country: { geoname_id: 2635167, iso_code: iso, names: { en: iso } },
    location: { accuracy_radius: 100, latitude: 51.5142, longitude: -0.0931, time_zone: 'Europe/London' },
  };
}

/** GeoLite2-ASN style record. */
export function asnRecord(asn: number, org: string): MmdbValue {
  return { autonomous_system_number: asn, autonomous_system_organization: org };
}
