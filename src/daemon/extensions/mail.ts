/**
 * Alert mails from the daemon: each level change at or above
 * EMAIL_ALERT_DANGER_LEVEL goes to the Mailer (src/actions/email), which
 * decides (one alert per rise, EMAIL_LIMIT, throttles), queues on disk and
 * sends in the background; a dead mail server never holds up detection.
 * A new alert waits EMAIL_ALERT_SETTLE seconds so one fast scan climbing
 * several levels gives one mail with the level reached. Before queueing, an
 * alert waits (briefly) for the block its change started, so it says whether and until when the source is blocked, and is
 * enriched with country, AS, reverse DNS, feed matches and raw log lines.
 * Alerts are handled one after another, so they are queued in log order.
 */
import { hostname } from 'node:os';
import type { Config } from '../../config/keys/index.js';
import { Mailer } from '../../actions/email/index.js';
import { GeoLookup, ReverseDns } from '../../enrich/index.js';
import type { SourceReport } from '../../model/report.js';
import { enrichSource, lookupAddress } from '../analysis.js';
import type { DaemonExtension, ExtensionContext, ExtensionFactory, LevelChange, MetricSample } from '../hooks.js';
import { mailQueueDir } from '../mail-report.js';
import type { ExtensionHub } from './hub.js';

/** Longest wait for the block decision before an alert is queued without it. */
const BLOCK_WAIT_MS = 2000;
/** Longest wait at stop for alerts still being prepared. */
const STOP_WAIT_MS = 5000;
/** Sources remembered as mailed about, to tell the mailer when one starts a new incident. */
const MAX_ALERTED = 50_000;

export function mailExtension(hub: ExtensionHub): ExtensionFactory {
  return async (ctx) => {
    const ext = new MailExtension(ctx, hub);
    await ext.open(ctx.cfg);
    return ext;
  };
}

/** `p`, or `fallback` when it has not settled within `ms`. */
async function within<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** An alert in its settle time: the change that started it and the latest one. */
interface Settling {
  first: LevelChange;
  last: LevelChange;
  timer: NodeJS.Timeout | undefined;
}

class MailExtension implements DaemonExtension {
  readonly name = 'mail';
  #cfg: Config;
  #mailer: Mailer | null = null;
  #geo: GeoLookup | null = null;
  #rdns: ReverseDns | null = null;
  #chain: Promise<void> = Promise.resolve();
  #alerts = 0;
  #lastLatencyMs: number | null = null;
  /** Alerts waiting for their settle time, by source. */
  readonly #settling = new Map<string, Settling>();
  /** Sources that reached the alert level, oldest first. */
  readonly #alerted = new Set<string>();
  readonly #host = hostname();

  constructor(private readonly ctx: ExtensionContext, private readonly hub: ExtensionHub) {
    this.#cfg = ctx.cfg;
  }

  /** Opens the queue and the lookups for `cfg`; mail problems are logged, never fatal to the daemon. */
  async open(cfg: Config): Promise<void> {
    this.#cfg = cfg;
    if (cfg.EMAIL_ADDRESSES.length === 0) return;
    const { ctx } = this;
    try {
      this.#mailer = Mailer.create(cfg, { queueDir: mailQueueDir(ctx.stateDir), log: (m) => ctx.log('warn', `mail: ${m}`), host: this.#host });
      this.#mailer.start();
      // Said at start: a daemon with no configuration mails root@localhost through the local sendmail, also under --dry-run.
      const via = cfg.EMAIL_TRANSPORT === 'smtp' ? `SMTP ${cfg.SMTP_HOST}:${cfg.SMTP_PORT}` : `the local sendmail (${cfg.SENDMAIL_PATH})`;
      const alerts = cfg.ALERTING_METHODS.some((m) => m.toLowerCase() === 'noemail') ? 'reports (alerts off: ALERTING_METHODS noemail)' : `alerts from danger level ${cfg.EMAIL_ALERT_DANGER_LEVEL}`;
      ctx.log('notice', `mail: ${alerts} go to ${cfg.EMAIL_ADDRESSES.join(', ')} through ${via}${ctx.dryRun ? '; --dry-run covers the firewall only: these mails are sent' : ''} (EMAIL_ADDRESSES NONE sends none)`);
    } catch (err) {
      ctx.log('error', `mail: cannot open the queue in ${mailQueueDir(ctx.stateDir)}: ${(err as Error).message}; no alerts will be mailed`);
      return;
    }
    if (cfg.ENABLE_GEOIP) {
      this.#geo = await GeoLookup.open(cfg).catch((err: unknown) => {
        ctx.log('warn', `mail: GeoIP unavailable for alerts: ${(err as Error).message}`);
        return null;
      });
    }
    if (cfg.ENABLE_DNS_LOOKUPS) {
      this.#rdns = new ReverseDns({ timeoutMs: cfg.DNS_TIMEOUT * 1000, servers: [...cfg.DNS_RESOLVERS], cacheSize: cfg.DNS_CACHE_SIZE, ttlMs: cfg.DNS_CACHE_TTL * 1000 });
    }
  }

  onLevelChange(ev: LevelChange): void {
    const mailer = this.#mailer;
    if (mailer === null) return;
    // From level 0: detection forgot the source or its scan window ran out. A new incident: the mailer's counters start over.
    if (ev.from === 0 && this.#alerted.delete(ev.key)) this.#chain = this.#chain.then(() => mailer.forget(ev.key));
    if (ev.to < this.#cfg.EMAIL_ALERT_DANGER_LEVEL) return;
    this.#remember(ev.key);
    // One incident climbing several levels at once gives one mail: the first rise waits
    // EMAIL_ALERT_SETTLE seconds, later rises in that time only move the level it will say.
    const held = this.#settling.get(ev.key);
    if (held !== undefined) {
      held.last = ev;
      return;
    }
    const pending: Settling = { first: ev, last: ev, timer: undefined };
    this.#settling.set(ev.key, pending);
    // Even with no wait, the alert is built after the line that raised it is fully counted.
    pending.timer = setTimeout(() => this.#settled(mailer, pending), this.#cfg.EMAIL_ALERT_SETTLE * 1000);
  }

  /** The settle time of an alert is over (or the daemon stops): build it now, from the source as it is. */
  #settled(mailer: Mailer, p: Settling): void {
    clearTimeout(p.timer);
    if (this.#settling.get(p.first.key) !== p) return;
    this.#settling.delete(p.first.key);
    // The report and its log samples are taken at the same moment, so no sample is later than "Last seen".
    const src = p.last.report();
    const samples = p.last.samples();
    this.#chain = this.#chain
      .then(() => this.#alert(mailer, p.first, src, samples))
      .catch((err: unknown) => this.ctx.log('error', `mail: alert for ${p.first.key} failed: ${err instanceof Error ? err.message : String(err)}`));
  }

  #remember(key: string): void {
    this.#alerted.delete(key);
    this.#alerted.add(key);
    if (this.#alerted.size > MAX_ALERTED) this.#alerted.delete(this.#alerted.values().next().value as string);
  }

  async #alert(mailer: Mailer, ev: LevelChange, src: SourceReport, samples: string[]): Promise<void> {
    const [blocked, rdns] = await Promise.all([
      within(this.hub.blockedUntil(ev.key), BLOCK_WAIT_MS, null),
      this.#rdns === null ? Promise.resolve(null) : this.#rdns.lookup(lookupAddress(src)),
    ]);
    src.blocked = blocked;
    enrichSource(src, this.#geo, this.ctx.feeds());
    const outcome = mailer.alert(src, { host: this.#host, previousDl: ev.from, samples, rdns });
    if (outcome !== 'queued' && outcome !== 'digest') return;
    this.#alerts++;
    this.#lastLatencyMs = Date.now() - ev.at;
    this.ctx.log('info', `${ev.key}: DL${src.dl} alert ${outcome === 'queued' ? 'queued' : 'added to the digest'} ${this.#lastLatencyMs} ms after the line that raised it to DL${ev.to}`);
  }

  /** Alerts still settling are built and queued now (reload, stop). */
  #flushSettling(): void {
    const m = this.#mailer;
    for (const p of [...this.#settling.values()]) {
      if (m !== null) this.#settled(m, p);
      else clearTimeout(p.timer);
    }
    this.#settling.clear();
  }

  async reload(cfg: Config): Promise<void> {
    this.#flushSettling();
    const next = this.#chain.then(async () => {
      await this.#close();
      await this.open(cfg);
    });
    this.#chain = next.catch(() => undefined);
    await next;
  }

  statusLines(): string[] {
    const m = this.#mailer;
    if (m === null) return [];
    const s = m.stats;
    const err = s.lastError === null || s.queued === 0 ? '' : `; last error: ${s.lastError}`;
    return [`Mail: ${this.#alerts} alert(s) since start, ${s.sent} mail(s) sent, ${s.queued} waiting in the queue${s.owner ? '' : ' (another process owns the queue)'}${err}`];
  }

  metrics(): MetricSample[] {
    const m = this.#mailer;
    if (m === null) return [];
    const s = m.stats;
    const out: MetricSample[] = [
      { name: 'tsad_mail_alerts_total', help: 'Alerts queued (or added to a digest) since start.', type: 'counter', value: this.#alerts },
      { name: 'tsad_mail_sent_total', help: 'Mails the server accepted since start.', type: 'counter', value: s.sent },
      { name: 'tsad_mail_queued', help: 'Mails waiting in the on-disk queue.', type: 'gauge', value: s.queued },
      { name: 'tsad_mail_failed_attempts_total', help: 'Delivery attempts that failed.', type: 'counter', value: s.failedAttempts },
    ];
    if (this.#lastLatencyMs !== null) out.push({ name: 'tsad_mail_alert_latency_seconds', help: 'Time from the line that raised a level to its alert in the queue (last alert).', type: 'gauge', value: this.#lastLatencyMs / 1000 });
    return out;
  }

  async #close(): Promise<void> {
    const m = this.#mailer;
    this.#mailer = null;
    await m?.stop();
    this.#geo?.close();
    this.#geo = null;
    this.#rdns?.close();
    this.#rdns = null;
  }

  async stop(): Promise<void> {
    // Alerts being prepared are queued first (on disk), so a restart sends them.
    this.#flushSettling();
    await within(this.#chain, STOP_WAIT_MS, undefined);
    await this.#close();
  }
}
