/**
 * The one place the stages meet, for analyze and the daemon alike:
 * line -> parse -> filter -> signatures -> detect, with the counters the
 * report needs. Synchronous per line; no I/O here.
 */
import type { Packet, SkipReason } from '../model/packet.js';
import type { SignatureHit } from '../model/signature.js';
import type { ServiceEvent } from '../model/service.js';
import { parseLine, finishParse, type ParseContext, type ParseResult, type ServiceMatcher } from '../parse/index.js';
import type { GlobalCounters, ScanTracker, SourceState } from '../detect/index.js';
import { HourlyTimeline } from '../report/index.js';

export interface SignatureMatcher {
  match(p: Packet): SignatureHit[] | null;
}

export interface PipelineParts {
  filter: (p: Packet) => SkipReason | null;
  signatures: SignatureMatcher | null;
  tracker: ScanTracker;
  counters: GlobalCounters;
  /** Called for every packet that passed the filters, with its source's state (CSV output, raw samples). */
  onPacket?: ((p: Packet, s: SourceState) => void) | undefined;
  /** Reputation feed matches for a source address, applied once when the source is first seen. */
  reputation?: ((addr: string) => ReadonlyArray<{ feed: string; dl: number }>) | undefined;
  /** Called for every scored service event, with its source's state (raw samples). */
  onService?: ((ev: ServiceEvent, s: SourceState) => void) | undefined;
  /** Service-log patterns, tried on lines that are not firewall lines; null when ENABLE_SERVICE_LOGS is N. */
  services?: ServiceMatcher | null | undefined;
  /** Sources whose service events are not scored (auto_dl level 0 for the whole address). */
  ignoreSource?: ((src: string) => boolean) | undefined;
  /** IPv6 sources are scored (ENABLE_IPV6_DETECTION). */
  ipv6?: boolean | undefined;
  /** Only packets with since <= ts < until are scored (ms; NaN timestamps always pass). */
  since?: number | undefined;
  until?: number | undefined;
}

export class Pipeline {
  lines = 0;
  firewallLines = 0;
  packets = 0;
  /** Lines a service pattern recognised, and the events scored from them. */
  serviceLines = 0;
  serviceEvents = 0;
  readonly skipped: Record<string, number> = Object.create(null) as Record<string, number>;
  firstSeen = Number.POSITIVE_INFINITY;
  lastSeen = Number.NEGATIVE_INFINITY;
  /** Packets per hour by their source's level (the report's `timeline`). */
  readonly timeline = new HourlyTimeline();

  constructor(private readonly parts: PipelineParts) {}

  skip(reason: string): void {
    this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
  }

  /** A line dropped by the reader for its length: counted as read, and skipped. */
  tooLong(): void {
    this.lines++;
    this.skip('too-long');
  }

  /** One line of text from any source. */
  line(text: string, ctx: ParseContext): void {
    this.lines++;
    const r = parseLine(text, ctx);
    // Not a firewall line: perhaps a service's (a firewall-only log never gets here).
    if (r === null && this.parts.services) this.service(this.parts.services.match(text, ctx));
    else this.result(r);
  }

  /** What a service pattern made of a line. */
  private service(r: ServiceEvent | string | null): void {
    if (r === null) return;
    this.serviceLines++;
    if (typeof r === 'string') {
      this.skip(r);
      return;
    }
    // A line without its own time (a bare `sshd -E` file) happened when it is read.
    if (Number.isNaN(r.ts)) r.ts = Date.now();
    const { since, until } = this.parts;
    if ((since !== undefined && r.ts < since) || (until !== undefined && r.ts >= until)) {
      this.skip('outside-time-range');
      return;
    }
    if (r.family === 6 && this.parts.ipv6 === false) {
      this.skip('ipv6-disabled');
      return;
    }
    if (this.parts.ignoreSource?.(r.src) === true) {
      this.skip('auto-dl-ignore');
      return;
    }
    this.serviceEvents++;
    if (r.ts < this.firstSeen) this.firstSeen = r.ts;
    if (r.ts > this.lastSeen) this.lastSeen = r.ts;
    const state = this.parts.tracker.observeService(r);
    this.parts.onService?.(r, state);
  }

  /** One line parsed by another parser (ulogd2 JSON). */
  parsedLine(r: ParseResult): void {
    this.lines++;
    this.result(r);
  }

  /** End of a stream: flushes a pending journal export record. */
  end(ctx: ParseContext): void {
    this.result(finishParse(ctx));
  }

  private result(r: ParseResult): void {
    if (r === null) return;
    this.firewallLines++;
    if (typeof r === 'string') {
      this.skip(r);
      return;
    }
    this.packet(r);
  }

  packet(p: Packet): void {
    const { since, until } = this.parts;
    if ((since !== undefined && p.ts < since) || (until !== undefined && p.ts >= until)) {
      this.skip('outside-time-range');
      return;
    }
    const parts = this.parts;
    const reason = parts.filter(p);
    if (reason !== null) {
      parts.counters.skipped(p, reason);
      this.skip(reason);
      return;
    }
    let hits = parts.signatures === null ? null : parts.signatures.match(p);
    if (hits !== null) {
      // A match at DL 0 (snort_rule_dl) means: ignore packets like this one.
      if (hits.every((h) => h.dl === 0)) {
        parts.counters.skipped(p, 'signature-ignore');
        this.skip('signature-ignore');
        return;
      }
      if (hits.some((h) => h.dl === 0)) hits = hits.filter((h) => h.dl > 0);
    }
    this.packets++;
    if (p.ts < this.firstSeen) this.firstSeen = p.ts;
    if (p.ts > this.lastSeen) this.lastSeen = p.ts;
    parts.counters.observe(p, hits);
    const state = parts.tracker.observe(p, hits);
    this.timeline.packet(p.ts, state.dl);
    if (parts.reputation !== undefined && state.packets === 1) {
      // psad checks feeds per packet; a source's listing does not change between its packets.
      for (const m of parts.reputation(p.src)) parts.tracker.raise(state.key, m.dl, `reputation feed "${m.feed}"`);
    }
    parts.onPacket?.(p, state);
  }
}
