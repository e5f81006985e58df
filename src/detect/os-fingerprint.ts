/**
 * Passive OS / scanner guess from TCP SYN packets against the fingerprint
 * file (format described in etc/os-fingerprints). psad used the 2003 p0f v1
 * database, which calls every nmap SYN "SunOS 4.1"; this file is ours,
 * current, covers IPv6 (hop limit) and also names raw-packet scanners.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config/keys/index.js';
import { packageFile } from '../io/package-files.js';
import type { Packet } from '../model/packet.js';
import { hasDf, tcpOptionBytes } from './probe-traits.js';
import { layoutBytes, parseTcpOptions } from './tcp-options.js';

export interface Fingerprint {
  /** "os" or "tool". */
  kind: 'os' | 'tool';
  /** OS label, or tool name for kind "tool". */
  label: string;
  family: 0 | 4 | 6;
  /** 0 for any. */
  ittl: number;
  /** -1 for any. */
  df: number;
  /** Exact windows; empty with `anyWindow`. */
  windows: number[];
  mssMultiples: number[];
  anyWindow: boolean;
  /** Alternatives, each a list of letter tokens ('M', 'M1460', 'W8'...); null for any. */
  layouts: string[][] | null;
  line: number;
}

export interface FingerprintGuess {
  fp: Fingerprint;
  /** Index in the file (lower wins among equal scores). */
  index: number;
  /** 2 when the logged options matched, 1 when only their length did. */
  score: number;
}

export interface FingerprintProblem {
  file: string;
  line: number;
  reason: string;
}

const TTLS = [32, 64, 128, 255];

/** The fingerprint file installed with tsad (etc/os-fingerprints of the package). */
export function shippedFingerprintsPath(): string {
  return packageFile('etc/os-fingerprints');
}

/** Loops, not some() with a closure per entry: guess() runs for a source's first SYNs and tries every entry. */
function someLayoutMatches(layouts: readonly string[][], letters: readonly string[], values: { M: number; W: number }): boolean {
  for (let i = 0; i < layouts.length; i++) if (layoutMatches(layouts[i] as string[], letters, values)) return true;
  return false;
}

function someLayoutBytes(layouts: readonly string[][], optBytes: number): boolean {
  for (let i = 0; i < layouts.length; i++) if (layoutBytes(layouts[i] as string[]) === optBytes) return true;
  return false;
}

/** Most packet forms guess() remembers (then it starts over). */
const MEMO_MAX = 4096;

export class FingerprintDb {
  /**
   * Guesses by what they depend on: family, DF, TTL and window as one
   * number, then the logged options (or, without them, the options' length).
   * Scanners and clients send the same few forms over and over; the guesses
   * are shared and never changed.
   */
  readonly #memo = new Map<number, Map<string | number, FingerprintGuess | null>>();
  #memoSize = 0;

  constructor(readonly entries: readonly Fingerprint[], private readonly maxHops: number) {}

  /** Best guess for one SYN packet, or null (an object shared by packets of the same form: read it, do not change it). */
  guess(p: Packet): FingerprintGuess | null {
    const ttl = p.ttl;
    const win = p.window;
    if (!(ttl >= 0 && ttl <= 255 && win >= 0 && win <= 0xffff && Number.isInteger(ttl) && Number.isInteger(win))) return this.#guess(p);
    const key = (p.family === 6 ? 1 << 25 : 0) + (hasDf(p) ? 1 << 24 : 0) + ttl * 65_536 + win;
    const form = p.tcpOpts !== '' ? p.tcpOpts : tcpOptionBytes(p);
    let m = this.#memo.get(key);
    let g = m?.get(form);
    if (g !== undefined) return g;
    g = this.#guess(p);
    if (this.#memoSize >= MEMO_MAX) {
      this.#memo.clear();
      this.#memoSize = 0;
      m = undefined;
    }
    if (m === undefined) this.#memo.set(key, (m = new Map()));
    m.set(form, g);
    this.#memoSize++;
    return g;
  }

  /** guess() worked out. */
  #guess(p: Packet): FingerprintGuess | null {
    const ittl = initialTtl(p.ttl);
    if (ittl === 0) return null;
    const opts = p.tcpOpts === '' ? null : parseTcpOptions(p.tcpOpts);
    if (p.tcpOpts !== '' && opts === null) return null;
    const optBytes = opts === null ? tcpOptionBytes(p) : -1;
    const letters = opts === null ? null : opts.layout === '' ? [] : opts.layout.split(',');
    const values = opts === null ? null : { M: opts.mss, W: opts.wscale };
    const df = hasDf(p) ? 1 : 0;
    // Without logged options the MSS is unknown: assume Ethernet's (1500 minus the headers).
    const defaultMss = p.family === 6 ? 1440 : 1460;
    for (let i = 0; i < this.entries.length; i++) {
      const fp = this.entries[i] as Fingerprint;
      if (fp.family !== 0 && fp.family !== p.family) continue;
      if (fp.ittl !== 0 && (fp.ittl !== ittl || p.ttl > fp.ittl || fp.ittl - p.ttl > this.maxHops)) continue;
      if (fp.df >= 0 && p.family === 4 && fp.df !== df) continue; // IPv6 has no DF bit
      if (!windowMatches(fp, p.window, opts?.mss ?? defaultMss)) continue;
      if (letters !== null && values !== null) {
        if (fp.layouts === null || someLayoutMatches(fp.layouts, letters, values)) return { fp, index: i, score: 2 };
      } else if (fp.layouts === null || someLayoutBytes(fp.layouts, optBytes)) {
        return { fp, index: i, score: 1 };
      }
    }
    return null;
  }
}

/** Smallest usual initial TTL at or above the TTL seen; 0 when the TTL is unknown. */
export function initialTtl(ttl: number): number {
  if (ttl <= 0) return 0;
  for (const t of TTLS) if (ttl <= t) return t;
  return 0;
}

function windowMatches(fp: Fingerprint, window: number, mss: number): boolean {
  if (fp.anyWindow) return true;
  if (fp.windows.includes(window)) return true;
  return mss > 0 && fp.mssMultiples.some((n) => n * mss === window);
}

function layoutMatches(tokens: readonly string[], letters: readonly string[], values: { M: number; W: number }): boolean {
  if (tokens.length !== letters.length) return false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as string;
    const letter = t[0] as string;
    if (letter !== letters[i]) return false;
    if (t.length > 1 && (letter === 'M' || letter === 'W') && Number(t.slice(1)) !== values[letter]) return false;
  }
  return true;
}

/**
 * The fingerprints OS_FINGERPRINTS_FILE names: "shipped" for the file
 * installed with tsad, NONE for no OS guessing (db undefined).
 */
export function configuredFingerprints(cfg: Config): { db: FingerprintDb | undefined; problems: FingerprintProblem[] } {
  const name = cfg.OS_FINGERPRINTS_FILE;
  if (name.toUpperCase() === 'NONE' || name === '') return { db: undefined, problems: [] };
  return loadFingerprints(name === 'shipped' ? shippedFingerprintsPath() : name, cfg.MAX_HOPS);
}

/** Reads a fingerprint file; bad lines are reported and skipped. */
export function loadFingerprints(path: string, maxHops: number): { db: FingerprintDb; problems: FingerprintProblem[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return { db: new FingerprintDb([], maxHops), problems: [{ file: path, line: 0, reason: `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }] };
  }
  return parseFingerprints(text, path, maxHops);
}

export function parseFingerprints(text: string, file: string, maxHops: number): { db: FingerprintDb; problems: FingerprintProblem[] } {
  const entries: Fingerprint[] = [];
  const problems: FingerprintProblem[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const fp = parseEntry(line, i + 1);
    if (typeof fp === 'string') problems.push({ file, line: i + 1, reason: fp });
    else entries.push(fp);
  });
  return { db: new FingerprintDb(entries, maxHops), problems };
}

function parseEntry(line: string, lineNo: number): Fingerprint | string {
  const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(.+)$/.exec(line);
  if (m === null) return 'expected: class family ittl df window options label';
  const [, cls, fam, ttl, df, win, opts, label] = m as unknown as [string, string, string, string, string, string, string, string];
  const kind = cls === 'os' ? 'os' : cls.startsWith('tool:') && cls.length > 5 ? 'tool' : null;
  if (kind === null) return `class "${cls}" is not "os" or "tool:NAME"`;
  if (!['4', '6', '*'].includes(fam)) return `family "${fam}" is not 4, 6 or *`;
  if (ttl !== '*' && !TTLS.includes(Number(ttl))) return `initial TTL "${ttl}" is not 32, 64, 128, 255 or *`;
  if (!['0', '1', '*'].includes(df)) return `df "${df}" is not 0, 1 or *`;
  const windows: number[] = [];
  const mssMultiples: number[] = [];
  let anyWindow = false;
  for (const w of win.split(',')) {
    if (w === '*') anyWindow = true;
    else if (/^mss\*\d+$/.test(w)) mssMultiples.push(Number(w.slice(4)));
    else if (/^\d+$/.test(w) && Number(w) <= 65535) windows.push(Number(w));
    else return `window "${w}" is not a number, mss*N or *`;
  }
  let layouts: string[][] | null = null;
  if (opts !== '*') {
    layouts = [];
    for (const alt of opts.split('|')) {
      const tokens = alt === '-' ? [] : alt.split(',');
      if (tokens.some((t) => !/^([MW]\d*|[NSTE])$/.test(t))) return `options "${alt}" use letters other than M, N, W, S, T, E`;
      layouts.push(tokens);
    }
  }
  return {
    kind, label: kind === 'tool' ? cls.slice(5) : label.trim(), family: fam === '*' ? 0 : (Number(fam) as 4 | 6),
    ittl: ttl === '*' ? 0 : Number(ttl), df: df === '*' ? -1 : Number(df), windows, mssMultiples, anyWindow, layouts, line: lineNo,
  };
}
