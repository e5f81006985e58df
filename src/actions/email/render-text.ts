/**
 * Plain-text rendering of mail sections in psad's layout: labels right-aligned
 * to column 21 (`printf "%23s%s"` with the ": " included), titled blocks
 * introduced by `[+]`, the whole framed by `=-=-=` lines with the time.
 */
import type { Section } from './alert-view.js';

const LABEL_WIDTH = 21;

export function frameLine(now: number): string {
  const d = new Date(now).toISOString();
  return `=-=-=-=-=-=-=-=-=-=-=-= ${d.slice(0, 10)} ${d.slice(11, 19)} UTC =-=-=-=-=-=-=-=-=-=-=-=`;
}

export function renderSectionsText(sections: readonly Section[]): string[] {
  const out: string[] = [];
  for (const s of sections) {
    if (s.title !== null) out.push(`[+] ${s.title}:`);
    for (const [label, value] of s.rows ?? []) out.push(`${label.padStart(LABEL_WIDTH)}: ${value}`);
    for (const line of s.lines ?? []) out.push(`   ${line}`);
    out.push('');
  }
  return out;
}

/** A framed text body: time line, blank line, sections, time line. */
export function renderFramedText(sections: readonly Section[], now: number): string {
  const frame = frameLine(now);
  return [frame, '', ...renderSectionsText(sections), frame, ''].join('\n');
}
