/** The HTML report with charts: the file (`--html`), the daemon's live page and the report mail's HTML part. */
import type { Report } from '../../model/report.js';
import { escapeHtml } from '../../text/escape.js';
import { renderCharts, type Chart } from './charts.js';
import { htmlDocument, RANKED, reportBody, type PageOptions } from './page.js';
import { svgToPng } from './png.js';
import { buildView } from './view.js';

export { CSP, type PageOptions } from './page.js';
export type { Chart } from './charts.js';

/** Attackers listed (and detailed) when the caller gives no --top. */
export const HTML_TOP = 100;

export interface MailImage {
  cid: string;
  filename: string;
  png: Buffer;
  width: number;
  height: number;
}

function svgSize(svg: string): { width: number; height: number } {
  const m = /^<svg[^>]*?\swidth="(\d+(?:\.\d+)?)"[^>]*?\sheight="(\d+(?:\.\d+)?)"/.exec(svg);
  return { width: m ? Math.round(Number(m[1])) : 0, height: m ? Math.round(Number(m[2])) : 0 };
}

/** Charts for the view of `report` (at most `top` entries per ranking). */
export function reportCharts(report: Report, top: number): Promise<Chart[]> {
  return renderCharts(buildView(report, Math.min(top, RANKED)));
}

/** The self-contained HTML document: inline SVG charts, no script, nothing fetched. */
export async function renderHtmlReport(report: Report, o: PageOptions): Promise<string> {
  const charts = await reportCharts(report, o.top);
  return htmlDocument(o.title, reportBody(report, charts, (c) => c.svg, o, true), o.refreshSeconds);
}

/** The mail's HTML part: the same summary and charts, each chart a PNG attachment shown by cid. */
export async function renderMailHtml(report: Report, o: PageOptions): Promise<{ html: string; images: MailImage[] }> {
  const charts = await reportCharts(report, o.top);
  const images = new Map<string, MailImage>();
  for (const c of charts) {
    const { width, height } = svgSize(c.svg);
    images.set(c.id, { cid: `chart-${c.id}@tsad`, filename: `${c.id}.png`, png: await svgToPng(c.svg), width, height });
  }
  const embed = (c: Chart): string => {
    const img = images.get(c.id) as MailImage;
    return `<img src="cid:${img.cid}" width="${img.width}" height="${img.height}" alt="${escapeHtml(c.title)}">`;
  };
  return { html: htmlDocument(o.title, reportBody(report, charts, embed, o, false)), images: [...images.values()] };
}
