/**
 * Service-log evidence of one source, per service (sshd, postfix, ...):
 * failures in total, first and last, the kinds, the first user names tried,
 * and the event seconds of the latest failures, from which the service's
 * ladder (SERVICE_DL_<SERVICE>: counts within SERVICE_WINDOW for levels
 * 1..5) gives a level. Checking a ladder looks at five entries, never the
 * whole list: the level is the highest L whose count-th latest failure is
 * within the window.
 *
 * Saved as rare.services of a source (source-codec.ts):
 *   [[service, events, firstMs, lastMs, users, usersMore, [[kind, n], ...], recent seconds], ...]
 */
import type { Config } from '../config/keys/index.js';
import { MAX_USER_LENGTH, type ServiceEvent } from '../model/service.js';
import { EPOCH_MS } from './event-seconds.js';
import { StateError, int, intAt, intList, list, textAt, textList } from './state/state-fields.js';
import { TIME } from './state/table-codec.js';

export const MAX_SERVICES = 16;
export const MAX_KINDS = 16;
export const MAX_USERS = 100;
/** Longest ladder count (SERVICE_DL_* accept up to 1000): more recent failures are never needed. */
export const MAX_RECENT = 1000;

export class ServiceTally {
  events = 0;
  first = Number.POSITIVE_INFINITY;
  last = Number.NEGATIVE_INFINITY;
  readonly users: string[] = [];
  /** Distinct user names tried beyond the kept ones (counted while they differ from the kept ones). */
  usersMore = 0;
  readonly kinds = new Map<string, number>();
  /** Event seconds of the latest failures, oldest first, at most the ladder's top count (kept to 2x, then cut). */
  recent: number[] = [];

  /** Adds one line's failures; returns how many of the latest lie within `windowSec` of `sec` (up to the ladder's needs). */
  add(ev: ServiceEvent, ts: number, sec: number, maxUsers: number, keep: number): void {
    this.events += ev.count;
    if (ts < this.first) this.first = ts;
    if (ts > this.last) this.last = ts;
    if (this.kinds.has(ev.kind) || this.kinds.size < MAX_KINDS) this.kinds.set(ev.kind, (this.kinds.get(ev.kind) ?? 0) + ev.count);
    if (ev.user !== '' && !this.users.includes(ev.user)) {
      if (this.users.length < maxUsers) this.users.push(ev.user);
      else this.usersMore++;
    }
    const r = this.recent;
    for (let i = 0; i < ev.count && i < keep; i++) r.push(sec);
    if (r.length > 2 * keep) this.recent = r.slice(r.length - keep);
  }

  /** The ladder's level for failures within windowSec before `sec`. */
  level(ladder: readonly number[], sec: number, windowSec: number): number {
    const r = this.recent;
    const cutoff = sec - windowSec;
    for (let l = ladder.length; l >= 1; l--) {
      const need = ladder[l - 1] as number;
      if (r.length >= need && (r[r.length - need] as number) >= cutoff) return l;
    }
    return 0;
  }

  /** Failures within windowSec before `sec` (for the reason text), counting at most `max`. */
  within(sec: number, windowSec: number, max: number): number {
    const r = this.recent;
    let n = 0;
    for (let i = r.length - 1; i >= 0 && n < max && (r[i] as number) >= sec - windowSec; i--) n++;
    return n;
  }
}

/** Ladders and limits from the configuration. */
export class ServiceRules {
  readonly windowSec: number;
  readonly maxUsers: number;
  readonly #ladders: Map<string, readonly number[]>;
  readonly #other: readonly number[];

  constructor(cfg: Config) {
    this.windowSec = cfg.SERVICE_WINDOW;
    this.maxUsers = cfg.SERVICE_MAX_USERS;
    this.#ladders = new Map([['sshd', cfg.SERVICE_DL_SSHD], ['postfix', cfg.SERVICE_DL_POSTFIX], ['dovecot', cfg.SERVICE_DL_DOVECOT], ['web', cfg.SERVICE_DL_WEB]]);
    this.#other = cfg.SERVICE_DL_OTHER;
  }

  ladder(service: string): readonly number[] {
    return this.#ladders.get(service) ?? this.#other;
  }
}

export type ServiceMap = Map<string, ServiceTally>;

/** Adds an event to a source's services; returns the tally, or null when the source has MAX_SERVICES others already. */
export function addServiceEvent(m: ServiceMap, ev: ServiceEvent, ts: number, sec: number, rules: ServiceRules): ServiceTally | null {
  let t = m.get(ev.service);
  if (t === undefined) {
    if (m.size >= MAX_SERVICES) return null;
    m.set(ev.service, (t = new ServiceTally()));
  }
  const ladder = rules.ladder(ev.service);
  t.add(ev, ts, sec, rules.maxUsers, Math.min(MAX_RECENT, ladder[ladder.length - 1] as number));
  return t;
}

export function encodeServices(m: ServiceMap): unknown[] {
  // Whole milliseconds: journal times carry microseconds, and the report shows milliseconds.
  return [...m].map(([name, t]) => [name, t.events, Math.floor(t.first) - EPOCH_MS, Math.floor(t.last) - EPOCH_MS, [...t.users], t.usersMore, [...t.kinds], t.recent.slice(-MAX_RECENT)]);
}

/** Checked services of a saved source; errors name the entry. */
export function decodeServices(v: unknown): ServiceMap {
  const m: ServiceMap = new Map();
  const a = list(v, 'rare.services', MAX_SERVICES);
  for (let i = 0; i < a.length; i++) {
    const path = `rare.services[${i}]`;
    const e = list(a[i], path, 8);
    if (e.length !== 8) throw new StateError(path, 'expected service, events, first, last, users, usersMore, kinds, recent');
    const name = textAt(e, 0, path);
    if (name === '' || name.length > 32 || m.has(name)) throw new StateError(`${path}[0]`, 'empty, too long or twice');
    const t = new ServiceTally();
    t.events = intAt(e, 1, path, 1);
    t.first = EPOCH_MS + intAt(e, 2, path, -TIME, TIME);
    t.last = EPOCH_MS + intAt(e, 3, path, -TIME, TIME);
    if (t.last < t.first) throw new StateError(`${path}[3]`, 'last before first');
    const users = textList(e[4], `${path}[4]`, MAX_USERS);
    for (const u of users) if (u === '' || u.length > MAX_USER_LENGTH) throw new StateError(`${path}[4]`, 'an empty or too long user name');
    t.users.push(...users);
    t.usersMore = int(e[5], `${path}[5]`);
    const kinds = list(e[6], `${path}[6]`, MAX_KINDS);
    for (let k = 0; k < kinds.length; k++) {
      const kp = `${path}[6][${k}]`;
      const pair = list(kinds[k], kp, 2);
      t.kinds.set(textAt(pair, 0, kp), intAt(pair, 1, kp, 1));
    }
    t.recent = intList(e[7], `${path}[7]`, -TIME, TIME);
    if (t.recent.length > MAX_RECENT) throw new StateError(`${path}[7]`, `more than ${MAX_RECENT} entries`);
    m.set(name, t);
  }
  return m;
}
