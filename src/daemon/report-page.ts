/**
 * The live HTML report (METRICS_REPORT_PAGE): built from the daemon's
 * current state when asked, and reused for a few seconds so a reload storm
 * or several open tabs cost one build; concurrent requests share a build.
 */
import { hostname } from 'node:os';
import { HTML_TOP, renderHtmlReport } from '../report/index.js';
import { blocksSection, statusHeader, type StatusPayload } from './status-view.js';

export class ReportPage {
  #html: string | null = null;
  #builtAt = 0;
  #building: Promise<string> | null = null;

  constructor(private readonly build: () => Promise<string>, private readonly maxAgeMs = 5000, private readonly now: () => number = Date.now) {}

  html(): Promise<string> {
    if (this.#html !== null && this.now() - this.#builtAt < this.maxAgeMs) return Promise.resolve(this.#html);
    this.#building ??= this.build()
      .then((html) => {
        this.#html = html;
        this.#builtAt = this.now();
        return html;
      })
      .finally(() => { this.#building = null; });
    return this.#building;
  }
}

export interface LivePageSource {
  status(o: { minDl?: number }): Promise<StatusPayload>;
  /** The latest raw log lines kept for a tracked source (EMAIL_LOG_SAMPLES of sources at EMAIL_ALERT_DANGER_LEVEL). */
  samples(key: string): string[];
}

/** Seconds between the page's own reloads. */
const REFRESH_S = 60;

/** The page as `tsad report --html` draws it, with the daemon header and the log samples the daemon keeps. */
export function liveReportPage(d: LivePageSource, host = hostname()): ReportPage {
  return new ReportPage(async () => {
    const st = await d.status({});
    for (const s of st.report.sources.slice(0, HTML_TOP)) {
      const lines = d.samples(s.src);
      if (lines.length > 0) s.samples = lines;
    }
    return renderHtmlReport(st.report, {
      title: `tsad live report on ${host}`, now: Date.now(), top: HTML_TOP, refreshSeconds: REFRESH_S,
      preamble: [...statusHeader(st.daemon), ...blocksSection(st.blocks)],
    });
  });
}
