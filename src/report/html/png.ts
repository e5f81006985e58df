/**
 * SVG charts as PNG images for the report mail (many mail clients show no
 * inline SVG). resvg compiled to WebAssembly: pure npm, no native addon and
 * no binary downloaded at install time, so it also works inside a single
 * executable. resvg-wasm cannot read system fonts by itself, so the text
 * font is read here from the usual Debian places (fonts-dejavu-core); with
 * none found the bars are drawn and the labels left out.
 *
 * The only module that imports @resvg/resvg-wasm.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dependencyFile } from '../../io/package-files.js';

type ResvgModule = typeof import('@resvg/resvg-wasm');

const FONT_FILES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf',
];
const FONT_DIRS = ['/usr/share/fonts/truetype', '/usr/share/fonts'];

let ready: Promise<{ lib: ResvgModule; fonts: Uint8Array[]; family: string | undefined }> | undefined;

function firstTtf(dir: string, depth = 0): string | null {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch {
    return null;
  }
  for (const n of names) if (/\.ttf$/i.test(n)) return join(dir, n);
  if (depth < 2) for (const n of names) {
    const found = firstTtf(join(dir, n), depth + 1);
    if (found !== null) return found;
  }
  return null;
}

/** The font resvg draws labels with: DejaVu Sans when installed, else any TrueType font found. */
function loadFont(): { fonts: Uint8Array[]; family: string | undefined } {
  const candidates = [...FONT_FILES, ...FONT_DIRS.map((d) => firstTtf(d)).filter((f): f is string => f !== null)];
  for (const f of candidates) {
    try {
      return { fonts: [readFileSync(f)], family: /DejaVuSans\.ttf$/.test(f) ? 'DejaVu Sans' : /Liberation/.test(f) ? 'Liberation Sans' : undefined };
    } catch {
      // try the next one
    }
  }
  return { fonts: [], family: undefined };
}

async function init(): Promise<{ lib: ResvgModule; fonts: Uint8Array[]; family: string | undefined }> {
  const lib = await import('@resvg/resvg-wasm');
  const wasm = readFileSync(dependencyFile('@resvg/resvg-wasm/index_bg.wasm'));
  await lib.initWasm(wasm);
  return { lib, ...loadFont() };
}

/** One SVG document as PNG, at its own size. */
export async function svgToPng(svg: string): Promise<Buffer> {
  ready ??= init();
  const { lib, fonts, family } = await ready;
  const r = new lib.Resvg(svg, {
    font: { fontBuffers: fonts, loadSystemFonts: false, ...(family === undefined ? {} : { defaultFontFamily: family, sansSerifFamily: family }) },
    shapeRendering: 2,
    textRendering: 1,
  });
  try {
    return Buffer.from(r.render().asPng());
  } finally {
    r.free();
  }
}
