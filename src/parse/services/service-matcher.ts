/**
 * Service lines to ServiceEvents: the syslog envelope is read once, the
 * program (syslog tag) picks the few patterns that read it (a map lookup,
 * so other programs' lines cost one timestamp and one tag), and those
 * patterns' templates are tried in order. The address is range-checked and
 * normalized; an IPv4-mapped IPv6 address counts as its IPv4 address.
 */
import { MAX_USER_LENGTH, type ServiceEvent, type ServiceResult } from '../../model/service.js';
import { TS_MAX, TS_MIN } from '../../model/packet.js';
import { normalizeAddress } from '../../net/address.js';
import type { ParseContext } from '../context.js';
import { matchPattern, type PatternHit, type ServicePattern } from './pattern.js';
import { matchTemplate } from './template.js';
import { journalMessage, syslogMessage, type SyslogMessage } from './syslog-message.js';

/** What `tsad patterns test` shows: the envelope, the pattern that matched and its result. */
export interface Explanation {
  message: SyslogMessage | null;
  /** Patterns that read this program, in the order tried. */
  candidates: readonly ServicePattern[];
  pattern: ServicePattern | null;
  /** The raw captures, before the address check. */
  hit: PatternHit | null;
  /** The template that matched ('' for rules in code). */
  template: string;
  result: ServiceResult;
}

const REPEATED = 'message repeated ';

export class ServiceMatcher {
  readonly #exact = new Map<string, ServicePattern[]>();
  readonly #prefixes: Array<[string, ServicePattern[]]> = [];
  /** JSON pre-checks: `"SYSLOG_IDENTIFIER":"prog` for each program read. */
  readonly #jsonKeys: string[] = [];
  readonly #msg: SyslogMessage = { ts: 0, host: '', program: '', message: '' };
  readonly #hit: PatternHit = { host: '', user: '', ts: 0 };

  /** Patterns for lines without a syslog envelope: the web rules and SERVICE_BARE_PROGRAM's. */
  readonly #bare: readonly ServicePattern[];

  constructor(readonly patterns: readonly ServicePattern[], bareProgram = '') {
    for (const p of patterns) {
      for (const prog of p.programs) {
        if (prog.endsWith('*')) {
          const pre = prog.slice(0, -1);
          let e = this.#prefixes.find(([x]) => x === pre);
          if (e === undefined) this.#prefixes.push((e = [pre, []]));
          e[1].push(p);
        } else {
          let list = this.#exact.get(prog);
          if (list === undefined) this.#exact.set(prog, (list = []));
          list.push(p);
        }
        if (prog !== '') {
          const key = `"SYSLOG_IDENTIFIER":"${prog.endsWith('*') ? prog.slice(0, -1) : `${prog}"`}`;
          if (!this.#jsonKeys.includes(key)) this.#jsonKeys.push(key);
        }
      }
    }
    const raw = this.#exact.get('') ?? [];
    this.#bare = bareProgram === '' ? raw : [...this.patternsFor(bareProgram).filter((p) => !raw.includes(p)), ...raw];
  }

  get size(): number {
    return this.patterns.length;
  }

  /** The patterns that read a program's lines, in order. */
  patternsFor(program: string): readonly ServicePattern[] {
    if (program === '' && this.#bare !== undefined) return this.#bare;
    const exact = this.#exact.get(program);
    if (exact !== undefined) return exact;
    for (const [pre, list] of this.#prefixes) if (program.startsWith(pre)) return list;
    return NONE;
  }

  /** The event a line stands for, a skip reason, or null (not a service line any pattern reads). */
  match(line: string, ctx: ParseContext): ServiceResult {
    const m = this.#message(line, ctx);
    if (m === null) return null;
    const list = this.patternsFor(m.program);
    if (list.length === 0) return null;
    return this.#first(list, m, ctx, null);
  }

  /** match(), with what was tried (`tsad patterns test`). */
  explain(line: string, ctx: ParseContext): Explanation {
    const m = this.#message(line, ctx);
    const ex: Explanation = { message: m === null ? null : { ...m }, candidates: [], pattern: null, hit: null, template: '', result: null };
    if (m === null) return ex;
    ex.candidates = this.patternsFor(m.program);
    ex.result = this.#first(ex.candidates, m, ctx, ex);
    return ex;
  }

  #message(line: string, ctx: ParseContext): SyslogMessage | null {
    const m = this.#msg;
    if (line.charCodeAt(0) === 123 /* { */) {
      if (!this.#mayBeJson(line) || !journalMessage(line, m)) return null;
    } else if (!syslogMessage(line, ctx, m)) return null;
    return m;
  }

  #mayBeJson(line: string): boolean {
    for (const k of this.#jsonKeys) if (line.includes(k)) return true;
    return false;
  }

  #first(list: readonly ServicePattern[], m: SyslogMessage, ctx: ParseContext, ex: Explanation | null): ServiceResult {
    let msg = m.message;
    let count = 1;
    // rsyslog's "message repeated 3 times: [ Failed password for root from ... ]"
    if (msg.startsWith(REPEATED)) {
      const r = repeated(msg);
      if (r !== null) [msg, count] = r;
    }
    const hit = this.#hit;
    let bad: ServiceResult = null;
    for (const p of list) {
      if (!matchPattern(p, msg, ctx, hit)) continue;
      const ev = toEvent(p, m, hit, count);
      if (ex !== null && (ex.pattern === null || typeof ev !== 'string')) {
        ex.pattern = p;
        ex.hit = { ...hit };
        ex.template = p.templates.find((t) => matchTemplate(t, msg, { host: '', user: '' }) !== null)?.text ?? '';
      }
      if (typeof ev !== 'string') return ev;
      // A later pattern may still read the line properly; remember why this one could not.
      bad ??= ev;
    }
    return bad;
  }
}

const NONE: readonly ServicePattern[] = [];

/** `message repeated N times: [ TEXT]` as [TEXT, N]; null when the line is not exactly that. */
function repeated(msg: string): [string, number] | null {
  let k = REPEATED.length;
  let n = 0;
  const d0 = k;
  while (k < msg.length && k - d0 < 7) {
    const d = msg.charCodeAt(k) - 48;
    if (d < 0 || d > 9) break;
    n = n * 10 + d;
    k++;
  }
  if (k === d0 || n < 1 || !msg.startsWith(' times: [ ', k) || !msg.endsWith(']')) return null;
  let e = msg.length - 1;
  if (msg.charCodeAt(e - 1) === 32) e--;
  return [msg.slice(k + 10, e), n];
}

/** The address as tsad keys it: normalized, an IPv4-mapped IPv6 address as IPv4; null when not an address. */
export function serviceAddress(text: string): string | null {
  let t = text;
  if (t.charCodeAt(0) === 91 && t.charCodeAt(t.length - 1) === 93) t = t.slice(1, -1);
  if (t.length === 0 || t.length > 45) return null;
  const a = normalizeAddress(t);
  if (a === null) return null;
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

function toEvent(p: ServicePattern, m: SyslogMessage, hit: PatternHit, count: number): ServiceEvent | 'service-bad-address' | 'service-bad-time' {
  const src = serviceAddress(hit.host);
  if (src === null) return 'service-bad-address';
  const ts = Number.isNaN(hit.ts) ? m.ts : hit.ts;
  if (ts === ts && !(ts >= TS_MIN && ts < TS_MAX)) return 'service-bad-time';
  let user = hit.user;
  if (user.length > MAX_USER_LENGTH) {
    let end = MAX_USER_LENGTH;
    const c = user.charCodeAt(end - 1);
    if (c >= 0xd800 && c <= 0xdbff) end--;
    user = user.slice(0, end);
  }
  return { ts, host: m.host, service: p.service, kind: p.kind, pattern: p.name, src, family: src.includes(':') ? 6 : 4, user, count };
}
