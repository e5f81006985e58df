/**
 * psad's auto_dl file: sources with a fixed minimum danger level, optionally
 * only for some protocols and ports; level 0 means "ignore this source".
 *
 *     192.0.2.7          5;
 *     198.51.100.0/24    0;
 *     2001:db8::/32      3    tcp/1-1024, udp;
 *
 * psad tried entries in hash order, so overlapping entries gave random
 * results. Here the most specific entry wins: the longest prefix first, and
 * within one prefix a port range before a bare protocol before "all
 * protocols" (narrower ranges first; among equals the later line).
 */
import { readFileSync } from 'node:fs';
import { addressBytes, parseCidr } from '../net/address.js';
import { PrefixMap } from '../net/prefix-map.js';
import type { Packet } from '../model/packet.js';
import { protocolNumber } from '../config/keys/detect.js';

export interface AutoDlProblem {
  file: string;
  line: number;
  reason: string;
}

export interface AutoDlEntry {
  /** The address or network as written. */
  source: string;
  dl: number;
  /** Protocol number, -1 for any. */
  proto: number;
  /** Destination port range; -1/-1 for any port. */
  portLo: number;
  portHi: number;
  line: number;
}

interface Level {
  len: number;
  map: PrefixMap<AutoDlEntry[]>;
}

const CACHE_MAX = 65536;
const PORT_PROTOS = new Set([6, 17, 132, 136]);

/** Narrower criteria sort first. */
function specificity(e: AutoDlEntry): number {
  if (e.portLo >= 0) return e.portHi - e.portLo;
  return e.proto >= 0 ? 70000 : 80000;
}

export class AutoDl {
  readonly #v4: Level[] = [];
  readonly #v6: Level[] = [];
  #cache = new Map<string, readonly AutoDlEntry[]>();
  #size = 0;
  readonly #dl0: string[] = [];

  get size(): number {
    return this.#size;
  }

  /** Adds an entry for a CIDR; false when the network text is invalid. */
  add(cidrText: string, entry: Omit<AutoDlEntry, 'source'>): boolean {
    const c = parseCidr(cidrText);
    if (c === null) return false;
    const levels = c.family === 4 ? this.#v4 : this.#v6;
    let level = levels.find((l) => l.len === c.len);
    if (level === undefined) {
      level = { len: c.len, map: new PrefixMap() };
      levels.push(level);
      levels.sort((a, b) => b.len - a.len);
    }
    const list = level.map.get(c.bytes) ?? [];
    if (list.length === 0) level.map.set(c, list);
    list.unshift({ source: cidrText, ...entry }); // later lines first among equals (stable sort keeps it)
    list.sort((a, b) => specificity(a) - specificity(b));
    if (entry.dl === 0 && entry.proto < 0) this.#dl0.push(cidrText);
    this.#size++;
    this.#cache.clear();
    return true;
  }

  /** The networks of all-protocol danger level 0 entries, as written (the blocking stage never blocks them). */
  dl0(): string[] {
    return [...this.#dl0];
  }

  /** Every entry that covers the address, most specific first. */
  candidates(addr: string): readonly AutoDlEntry[] {
    let c = this.#cache.get(addr);
    if (c !== undefined) return c;
    const b = addressBytes(addr);
    const out: AutoDlEntry[] = [];
    if (b !== null) {
      for (const level of b.length === 4 ? this.#v4 : this.#v6) {
        const list = level.map.get(b);
        if (list !== undefined) out.push(...list);
      }
    }
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    c = out;
    this.#cache.set(addr, c);
    return c;
  }

  /** The most specific matching entry for a source, protocol (name or number) and destination port. */
  match(src: string, proto: number | string, dport: number): AutoDlEntry | undefined {
    if (this.#size === 0) return undefined;
    const pn = typeof proto === 'number' ? proto : protocolNumber(proto) ?? -2;
    for (const e of this.candidates(src)) {
      if (e.proto >= 0 && e.proto !== pn) continue;
      if (e.portLo >= 0 && (dport < e.portLo || dport > e.portHi)) continue;
      return e;
    }
    return undefined;
  }

  /** Danger level for a source, protocol and destination port; undefined when no entry applies. */
  lookup(src: string, proto: number | string, dport: number): number | undefined {
    return this.match(src, proto, dport)?.dl;
  }

  lookupPacket(p: Packet): AutoDlEntry | undefined {
    return this.match(p.src, p.protoNum, p.dport);
  }

  /** True when the address's most specific all-protocol entry is DL 0 (never block such a source). */
  ignoresAddress(addr: string): boolean {
    for (const e of this.candidates(addr)) if (e.proto < 0) return e.dl === 0;
    return false;
  }
}

export interface AutoDlLoad {
  autoDl: AutoDl;
  problems: AutoDlProblem[];
}

/**
 * Reads an auto_dl file. An unreadable file is one problem on line 0 and an
 * empty table; a missing file is not a problem unless `required` (a file the
 * user named, rather than the default AUTO_DL_FILE).
 */
export function loadAutoDl(path: string, required = true): AutoDlLoad {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return { autoDl: new AutoDl(), problems: [] };
    return { autoDl: new AutoDl(), problems: [{ file: path, line: 0, reason: `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }] };
  }
  return parseAutoDl(text, path);
}

/** Parses auto_dl text; bad lines are reported and skipped. */
export function parseAutoDl(text: string, file = '(auto_dl)'): AutoDlLoad {
  const autoDl = new AutoDl();
  const problems: AutoDlProblem[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const problem = parseLine(autoDl, (lines[i] as string).replace(/#.*$/, '').trim(), i + 1);
    if (problem !== null) problems.push({ file, line: i + 1, reason: problem });
  }
  return { autoDl, problems };
}

function parseLine(autoDl: AutoDl, line: string, lineNo: number): string | null {
  if (line === '') return null;
  const body = line.endsWith(';') ? line.slice(0, -1).trim() : line;
  const m = /^(\S+)\s+(\S+)(?:\s+(.*))?$/.exec(body);
  if (m === null) return `expected "ADDRESS[/LEN] DL [PROTO[/PORT[-PORT]], ...];", got "${line}"`;
  const addr = m[1] as string;
  if (parseCidr(addr) === null) {
    return /^[A-Za-z]/.test(addr) && !addr.includes(':')
      ? `"${addr}": host names are not resolved; write an address or network`
      : `"${addr}" is not an IPv4 or IPv6 address or network`;
  }
  if (!/^[0-5]$/.test(m[2] as string)) return `danger level "${m[2]}" is not 0 to 5`;
  const dl = Number(m[2]);
  const criteria = parseCriteria(m[3]?.trim() ?? '');
  if (typeof criteria === 'string') return criteria;
  for (const c of criteria) autoDl.add(addr, { dl, ...c, line: lineNo });
  return null;
}

type Criterion = Pick<AutoDlEntry, 'proto' | 'portLo' | 'portHi'>;

function parseCriteria(text: string): Criterion[] | string {
  if (text === '') return [{ proto: -1, portLo: -1, portHi: -1 }];
  const out: Criterion[] = [];
  for (const raw of text.split(/[\s,]+/)) {
    if (raw === '') continue;
    const m = /^([A-Za-z0-9-]+)(?:\/(\d{1,5})(?:-(\d{1,5}))?)?$/.exec(raw);
    const proto = m === null ? undefined : protocolNumber(m[1] as string);
    if (m === null || proto === undefined) return `"${raw}" is not PROTO, PROTO/PORT or PROTO/PORT-PORT`;
    if (m[2] === undefined) {
      out.push({ proto, portLo: -1, portHi: -1 });
      continue;
    }
    if (!PORT_PROTOS.has(proto)) return `"${raw}": ports only apply to tcp, udp, udplite and sctp`;
    const lo = Number(m[2]);
    const hi = m[3] === undefined ? lo : Number(m[3]);
    if (hi > 65535 || hi < lo) return `"${raw}": bad port range (0-65535, low-high)`;
    out.push({ proto, portLo: lo, portHi: hi });
  }
  return out;
}
