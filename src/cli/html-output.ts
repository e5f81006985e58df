/** `--html FILE` of analyze and report: the HTML report written atomically (readable by a web server), or to stdout for "-". */
import { writeFileAtomic } from '../io/atomic-file.js';
import type { Report } from '../model/report.js';
import { HTML_TOP, renderHtmlReport } from '../report/index.js';

export interface HtmlOutputOptions {
  title: string;
  top?: number | undefined;
  preamble?: string[];
}

export async function writeHtmlReport(path: string, report: Report, o: HtmlOutputOptions): Promise<void> {
  const html = await renderHtmlReport(report, { title: o.title, now: Date.now(), top: o.top ?? HTML_TOP, preamble: o.preamble });
  if (path === '-') process.stdout.write(html);
  else await writeFileAtomic(path, html, 0o644);
}

