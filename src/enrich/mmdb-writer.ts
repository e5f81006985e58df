/**
 * Writes MaxMind DB files (format 2.0, https://maxmind.github.io/MaxMind-DB/):
 * the binary search tree over IPv6 (IPv4 at ::/96), the data section and
 * the metadata, so that the real maxmind reader reads them. tsad makes its
 * built-in ASN database with it at build time (asn-db-build.ts); the tests
 * make GeoLite2-schema files with it. The tree lives in typed arrays, so a
 * million prefixes build in a few seconds; sibling prefixes with the same
 * record are merged into one.
 */
import { parseCidr } from '../net/address.js';

export type MmdbValue = string | number | bigint | boolean | MmdbValue[] | { [k: string]: MmdbValue } | MmdbPointer;

/** A pointer to data already written at `offset` of the data section (a shared map key). */
export interface MmdbPointer {
  pointer: number;
}

const T_POINTER = 1;
const T_STRING = 2;
const T_DOUBLE = 3;
const T_UINT16 = 5;
const T_UINT32 = 6;
const T_MAP = 7;
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

function pointer(offset: number): Buffer {
  if (offset < 2048) return Buffer.from([(T_POINTER << 5) | (offset >> 8), offset & 255]);
  if (offset < 526336) {
    const v = offset - 2048;
    return Buffer.from([(T_POINTER << 5) | (1 << 3) | (v >> 16), (v >> 8) & 255, v & 255]);
  }
  if (offset < 134744064) {
    const v = offset - 526336;
    return Buffer.from([(T_POINTER << 5) | (2 << 3) | (v >> 24), (v >> 16) & 255, (v >> 8) & 255, v & 255]);
  }
  const b = Buffer.alloc(5);
  b[0] = (T_POINTER << 5) | (3 << 3);
  b.writeUInt32BE(offset, 1);
  return b;
}

/** One value in the MaxMind DB data format. */
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
  if ('pointer' in v && typeof v.pointer === 'number' && Object.keys(v).length === 1) return pointer(v.pointer);
  const pairs = Object.entries(v as Record<string, MmdbValue>);
  return Buffer.concat([control(T_MAP, pairs.length), ...pairs.flatMap(([k, x]) => [encode(k), encode(x)])]);
}

/** A map whose keys are pointers to strings written earlier (saves their bytes in every record). */
export function encodeMapWithKeys(pairs: ReadonlyArray<[MmdbPointer, MmdbValue]>): Buffer {
  return Buffer.concat([control(T_MAP, pairs.length), ...pairs.flatMap(([k, x]) => [pointer(k.pointer), encode(x)])]);
}

export interface MmdbOptions {
  ipVersion?: 4 | 6;
  databaseType: string;
  description?: string;
  buildEpoch?: number;
  /** 24, 28 or 32 bits per record; default the smallest that holds the tree and data. */
  recordSize?: 24 | 28 | 32;
}

/**
 * Builds the tree and data section of one database. Add the records' data
 * first (data(), or raw bytes with dataBytes()), then prefixes pointing at
 * them (prefix(), or the 128-bit form add()); bytes() writes the file.
 */
export class MmdbBuilder {
  #kids = new Int32Array(1 << 16);
  #nodes = 1;
  readonly #parts: Buffer[] = [];
  readonly #offsets: number[] = [];
  #size = 0;

  constructor(private readonly opts: MmdbOptions) {}

  /** Appends encoded bytes to the data section; returns their offset (for pointers). */
  dataBytes(b: Buffer): number {
    const at = this.#size;
    this.#parts.push(b);
    this.#size += b.length;
    return at;
  }

  /** Adds a record; returns its number for add()/prefix(). */
  data(v: MmdbValue | Buffer): number {
    this.#offsets.push(this.dataBytes(Buffer.isBuffer(v) ? v : encode(v)));
    return this.#offsets.length - 1;
  }

  /** A prefix given as text (`198.51.100.0/24`, `2001:db8::/32`): IPv4 goes under ::/96 of an IPv6 database. */
  prefix(cidr: string, record: number): void {
    const c = parseCidr(cidr);
    if (c === null) throw new Error(`bad CIDR ${cidr}`);
    const ipVersion = this.opts.ipVersion ?? 6;
    if (c.family === 6 && ipVersion === 4) throw new Error(`IPv6 ${cidr} in an IPv4 database`);
    const b = new Uint8Array(16);
    const shift = c.family === 4 && ipVersion === 6 ? 96 : 0;
    b.set(c.bytes, shift / 8);
    const words = new Uint32Array(4);
    for (let i = 0; i < 4; i++) words[i] = ((b[i * 4]! << 24) | (b[i * 4 + 1]! << 16) | (b[i * 4 + 2]! << 8) | b[i * 4 + 3]!) >>> 0;
    if (c.len + shift === 0) throw new Error('a /0 entry is not supported');
    this.add(words, c.len + shift, record);
  }

  /** A prefix of `len` bits of the 128-bit address `words` (or 32-bit, in an IPv4 database, words[0]). */
  add(words: Uint32Array, len: number, record: number): void {
    const leaf = -(record + 1);
    let node = 0;
    for (let i = 0; i < len; i++) {
      const bit = ((words[i >>> 5] as number) >>> (31 - (i & 31))) & 1;
      const at = node * 2 + bit;
      if (i === len - 1) {
        this.#kids[at] = leaf;
        return;
      }
      let next = this.#kids[at] as number;
      if (next === 0) {
        next = this.#newNode();
        this.#kids[at] = next;
      } else if (next < 0) {
        // A shorter prefix around this longer one: split it.
        const n = this.#newNode();
        this.#kids[n * 2] = next;
        this.#kids[n * 2 + 1] = next;
        this.#kids[at] = n;
        next = n;
      }
      node = next;
    }
  }

  #newNode(): number {
    if ((this.#nodes + 1) * 2 > this.#kids.length) {
      const grown = new Int32Array(this.#kids.length * 2);
      grown.set(this.#kids);
      this.#kids = grown;
    }
    return this.#nodes++;
  }

  /** The database file. */
  bytes(): Buffer {
    const kids = this.#kids;
    const count = this.#nodes;
    // Children are numbered after their parents: from the last node back, a node whose
    // two children are the same record (or both empty) becomes that record.
    const resolved = new Int32Array(count);
    for (let n = count - 1; n >= 0; n--) {
      let l = kids[n * 2] as number;
      let r = kids[n * 2 + 1] as number;
      if (l > 0) l = resolved[l] as number;
      if (r > 0) r = resolved[r] as number;
      kids[n * 2] = l;
      kids[n * 2 + 1] = r;
      resolved[n] = n > 0 && l === r && l <= 0 ? l : n;
    }
    // Number the nodes left breadth first from the root (0).
    const id = new Int32Array(count).fill(-1);
    const order = new Int32Array(count);
    let len = 1;
    id[0] = 0;
    for (let i = 0; i < len; i++) {
      const n = order[i] as number;
      for (const k of [kids[n * 2] as number, kids[n * 2 + 1] as number]) {
        if (k > 0 && id[k] === -1) {
          id[k] = len;
          order[len++] = k;
        }
      }
    }
    const nodeCount = len;
    const max = nodeCount + 16 + this.#size;
    const recordSize = this.opts.recordSize ?? (max < 2 ** 24 ? 24 : max < 2 ** 28 ? 28 : 32);
    const nodeBytes = recordSize / 4;
    const value = (k: number): number => (k === 0 ? nodeCount : k < 0 ? nodeCount + 16 + (this.#offsets[-k - 1] as number) : (id[k] as number));
    const tree = Buffer.alloc(nodeCount * nodeBytes);
    for (let i = 0; i < nodeCount; i++) {
      const n = order[i] as number;
      const l = value(kids[n * 2] as number);
      const r = value(kids[n * 2 + 1] as number);
      const at = i * nodeBytes;
      if (recordSize === 24) {
        tree.writeUIntBE(l, at, 3);
        tree.writeUIntBE(r, at + 3, 3);
      } else if (recordSize === 28) {
        tree.writeUIntBE(l & 0xffffff, at, 3);
        tree[at + 3] = ((l >>> 24) << 4) | (r >>> 24);
        tree.writeUIntBE(r & 0xffffff, at + 4, 3);
      } else {
        tree.writeUInt32BE(l, at);
        tree.writeUInt32BE(r, at + 4);
      }
    }
    const metadata = encode({
      binary_format_major_version: 2,
      binary_format_minor_version: 0,
      build_epoch: BigInt(this.opts.buildEpoch ?? Math.floor(Date.now() / 1000)),
      database_type: this.opts.databaseType,
      description: { en: this.opts.description ?? this.opts.databaseType },
      ip_version: this.opts.ipVersion ?? 6,
      languages: ['en'],
      node_count: nodeCount,
      record_size: recordSize,
    });
    const marker = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex');
    return Buffer.concat([tree, Buffer.alloc(16), ...this.#parts, marker, metadata]);
  }
}
