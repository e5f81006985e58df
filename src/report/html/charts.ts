/**
 * The report's charts as static SVG, drawn on the server: Vega-Lite specs
 * compiled to Vega and rendered by Vega's headless View.toSVG() (no DOM, no
 * canvas, no script in the output). The same SVG goes inline into the HTML
 * file and the live page, and through png.ts into the mail.
 *
 * The only module that imports vega and vega-lite. Both are loaded on first
 * use, so commands that draw no chart do not pay for loading them.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Bucket, Count, ReportView } from './view.js';
import { LEVEL_COLOURS } from './style.js';

export interface Chart {
  id: string;
  title: string;
  svg: string;
  /** Bars drawn (one per non-empty data row): what a viewer counts. */
  marks: number;
}

const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
const WIDE = 640;
const NARROW = 300;
const LEVEL_DOMAIN = ['DL0', 'DL1', 'DL2', 'DL3', 'DL4', 'DL5'];
const PLAIN_COLOUR = '#3b6ea5';

const CONFIG = {
  font: FONT,
  background: 'white',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 11, labelColor: '#333', titleColor: '#333', gridColor: '#e6e6e6' },
  legend: { labelFontSize: 11, titleFontSize: 11, orient: 'top', direction: 'horizontal' },
} as const;

type Row = Record<string, string | number>;

function stacked(id: string, title: string, unit: 'hour' | 'day', data: Bucket[], yTitle: string): { id: string; title: string; spec: TopLevelSpec; marks: number } {
  const values: Row[] = [];
  for (const b of data) b.n.forEach((n, dl) => { if (n > 0) values.push({ t: b.t, level: `DL${dl}`, n }); });
  const spec: TopLevelSpec = {
    width: WIDE,
    height: 180,
    config: CONFIG,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 't', type: 'temporal', timeUnit: unit === 'day' ? 'utcyearmonthdate' : 'utcyearmonthdatehours', title: `${unit} (UTC)`, axis: { format: unit === 'day' ? '%b %d' : '%b %d %H:%M', labelOverlap: true } },
      y: { field: 'n', type: 'quantitative', title: yTitle, stack: 'zero' },
      color: { field: 'level', type: 'nominal', title: 'level', scale: { domain: LEVEL_DOMAIN, range: [...LEVEL_COLOURS] } },
      order: { field: 'level', type: 'nominal', sort: 'ascending' },
    },
  };
  return { id, title, spec, marks: values.length };
}

function ranking(id: string, title: string, data: Count[], xTitle: string, byLevel: boolean, legend = true): { id: string; title: string; spec: TopLevelSpec; marks: number } {
  const values: Row[] = data.filter((c) => c.n > 0).map((c) => ({ key: c.key, n: c.n, level: `DL${c.dl}` }));
  const spec: TopLevelSpec = {
    width: NARROW,
    height: { step: 16 },
    config: CONFIG,
    data: { values },
    mark: { type: 'bar', ...(byLevel ? {} : { color: PLAIN_COLOUR }) },
    encoding: {
      y: { field: 'key', type: 'nominal', title: null, sort: { field: 'n', order: 'descending' } },
      x: { field: 'n', type: 'quantitative', title: xTitle },
      ...(byLevel ? { color: { field: 'level', type: 'nominal', title: 'highest level', ...(legend ? {} : { legend: null }), scale: { domain: LEVEL_DOMAIN, range: [...LEVEL_COLOURS] } } } : {}),
    },
  };
  return { id, title, spec, marks: values.length };
}

/** The chart definitions for a view; charts without data are left out. */
export function chartSpecs(v: ReportView): Array<{ id: string; title: string; spec: TopLevelSpec; marks: number }> {
  const per = v.unit === 'day' ? 'day' : 'hour';
  return [
    ranking('levels', 'Sources per danger level', v.levels, 'sources', true, false),
    stacked('packets', `Packets per ${per}, by their source's level at the time`, v.unit, v.packets, 'packets'),
    stacked('new-sources', `New sources per ${per}, by the level they reached`, v.unit, v.newSources, 'sources'),
    ranking('ports', 'Top scanned ports', v.ports, 'packets', false),
    ranking('scan-types', 'Scan types', v.scanTypes, 'sources', true),
    ranking('tools', 'Scanning tools', v.tools, 'sources', true),
    ranking('countries', 'Countries', v.countries, 'sources', true),
    ranking('asns', 'Autonomous systems', v.asns, 'sources', true),
  ].filter((c) => c.marks > 0);
}

type VegaModule = typeof import('vega');
type VegaLiteModule = typeof import('vega-lite');
let libs: Promise<[VegaModule, VegaLiteModule]> | undefined;

/** Renders every chart of the view to SVG. */
export async function renderCharts(v: ReportView): Promise<Chart[]> {
  libs ??= Promise.all([import('vega'), import('vega-lite')]);
  const [vega, vl] = await libs;
  const out: Chart[] = [];
  for (const c of chartSpecs(v)) {
    const view = new vega.View(vega.parse(vl.compile(c.spec).spec), { renderer: 'none' });
    try {
      out.push({ id: c.id, title: c.title, marks: c.marks, svg: await view.toSVG() });
    } finally {
      view.finalize();
    }
  }
  return out;
}
