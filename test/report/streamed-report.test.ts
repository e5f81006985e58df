/**
 * Streamed reports (analyze --json and the text report written a batch of
 * sources at a time) against the whole-object path (`JSON.stringify(report,
 * null, 2)` and renderText of the complete report) on the shipped sample and
 * every captured kern.log: byte for byte the same. And the writers wait for
 * a slow reader instead of buffering the report.
 */
import { readdirSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/load.js';
import { buildAnalysis, type Analysis } from '../../src/pipeline/analysis.js';
import type { ReportHead, SourceReport } from '../../src/model/report.js';
import { createParseContext } from '../../src/parse/index.js';
import { jsonSource, jsonSources, renderText, topLimits, writeJsonReport, writeTextReport, type ReportStream, type TextOptions } from '../../src/report/index.js';
import { openLog, readLineBytes } from '../../src/sources/index.js';

const FILES = [
  'fixtures/sample/kern.log',
  ...['ipt', 'nft'].flatMap((d) => readdirSync(`fixtures/captured/${d}`).filter((f) => f.endsWith('.kern.log')).map((f) => `fixtures/captured/${d}/${f}`)),
];

/** Collects what is written; `slow` takes each write on a later turn of the event loop, with a small buffer. */
class Collector extends Writable {
  text = '';
  maxBuffered = 0;
  writes = 0;

  constructor(readonly slow = false) {
    super({ highWaterMark: slow ? 1024 : 16384, decodeStrings: false });
  }

  override _write(chunk: string | Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.maxBuffered = Math.max(this.maxBuffered, this.writableLength);
    this.writes++;
    this.text += chunk.toString();
    if (this.slow) setImmediate(done);
    else done();
  }
}

async function analyse(file: string): Promise<Analysis> {
  const cfg = defaultConfig();
  const a = await buildAnalysis({ cfg, warn: () => undefined });
  const ctx = createParseContext({ year: 2026 });
  await readLineBytes(openLog(file), a.byteSink(ctx), cfg.MAX_LINE_LENGTH);
  a.pipeline.end(ctx);
  return a;
}

function textOptions(minDl: number, ips?: number): TextOptions {
  return { mode: 'analyze', top: topLimits(defaultConfig(), ips), minDl, inputs: ['x'], color: false };
}

describe('streamed reports are the whole-object reports, byte for byte', () => {
  it.each(FILES)('%s', async (file) => {
    const a = await analyse(file);
    for (const minDl of [0, 1, 3]) {
      const whole = await a.report(minDl);
      const json = new Collector();
      await writeJsonReport(json, await a.reportStream(minDl));
      expect(json.text).toBe(`${JSON.stringify(whole, null, 2)}\n`);
      for (const ips of [1, 2, undefined]) {
        const text = new Collector();
        await writeTextReport(text, await a.reportStream(minDl), textOptions(minDl, ips));
        expect(text.text).toBe(renderText(whole, textOptions(minDl, ips)));
      }
    }
  });
});

/** A report of `n` made-up sources in the contract's order (DL 3 down to 0), in batches of 100. */
function synthetic(n: number): { stream: () => ReportStream; sources: SourceReport[]; head: ReportHead } {
  const sources: SourceReport[] = [];
  for (let i = 0; i < n; i++) {
    sources.push({
      src: `192.0.2.${i % 256}`, dl: (3 - Math.floor((4 * i) / n)) as 0 | 1 | 2 | 3, packets: n - i, destinations: 1, direction: 'inbound',
      protocols: { tcp: { packets: n - i, portRange: [22, 23], ports: 2, flags: { SYN: n - i } } }, scanTypes: ['SYN'], tool: null,
      signatures: [{ msg: 'a "quoted"\nmessage', sid: 1, dl: 1, hits: 1 }], invalidIcmp: [], os: null, country: null, asn: null,
      reputation: [], firstSeen: '2026-01-01T00:00:00.000Z', lastSeen: '2026-01-01T00:00:00.000Z', blocked: null,
    });
  }
  const head: ReportHead = {
    version: 1,
    summary: { lines: n, firewallLines: n, skipped: {}, sources: n, dangerLevels: { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 }, firstSeen: null, lastSeen: null },
    topPorts: [], topSignatures: [], logPrefixes: { DROP: n },
  };
  const stream = (): ReportStream => ({
    head,
    batches: (async function* () {
      for (let i = 0; i < n; i += 100) yield sources.slice(i, i + 100);
    })(),
  });
  return { stream, sources, head };
}

describe('report writers', () => {
  it('write an empty report like JSON.stringify', async () => {
    const { head, stream } = synthetic(0);
    const out = new Collector();
    await writeJsonReport(out, stream());
    expect(out.text).toBe(`${JSON.stringify({ version: 1, summary: head.summary, sources: [], topPorts: [], topSignatures: [], logPrefixes: head.logPrefixes }, null, 2)}\n`);
  });

  it('wait for a slow reader: the stream never holds more than one block', async () => {
    const r = synthetic(10_000);
    const json = new Collector(true);
    await writeJsonReport(json, r.stream());
    expect(json.text.length).toBeGreaterThan(5_000_000);
    expect(json.text).toBe(`${JSON.stringify({ version: 1, summary: r.head.summary, sources: r.sources, topPorts: [], topSignatures: [], logPrefixes: r.head.logPrefixes }, null, 2)}\n`);
    // Blocks of ~64 KiB, each written only after the previous one drained (a write may add one source batch).
    expect(json.maxBuffered).toBeLessThan(256 * 1024);
    expect(json.writes).toBeGreaterThan(100);

    const text = new Collector(true);
    await writeTextReport(text, r.stream(), textOptions(0, 5));
    expect(text.maxBuffered).toBeLessThan(256 * 1024);
    expect(text.text).toContain('    Total scan sources: 10000\n');
    expect(text.text).toBe(renderText({ ...r.head, sources: r.sources }, textOptions(0, 5)));
  });

  it('stringify several sources per piece exactly as one each', () => {
    const { sources } = synthetic(50);
    sources[7] = { ...sources[7] as SourceReport, addresses: ['192.0.2.7'], asOrg: undefined, city: 'Zürich \u2028 "x"' };
    for (const n of [0, 1, 15, 16, 17, 33, 50]) {
      const some = sources.slice(0, n);
      const pieces = jsonSources(some);
      expect(pieces.length).toBe(Math.ceil(n / 16));
      expect(pieces.join('')).toBe(some.map((s) => jsonSource(s, false)).join(''));
    }
  });
});
