/** What every rendering of the HTML report must satisfy in a real browser, for the sample fixture. */
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { waitFor } from '../helpers/wait.js';

/**
 * fixtures/sample/kern.log (nmap scans of every kind and an sshd password
 * guesser; `analyze --json` lists 14 sources at MIN_DANGER_LEVEL 1: 7 at
 * level 2, 6 at level 3, 203.0.113.150 at level 4 from sshd failures alone,
 * new sources in 5 hour/level cells; 10 non-empty hour/level cells in its
 * packet timeline; 12 scan types, one tool): bars per chart and rows of the
 * attacker table.
 */
export const SAMPLE = {
  attackers: 14,
  marks: { levels: 3, packets: 10, 'new-sources': 5, ports: 20, 'scan-types': 12, tools: 1 } as Record<string, number>,
};

/** Chart ids in the page with their drawn bars (SVG marks with role graphics-symbol, described as bar) and the count the page declares. */
export async function chartMarks(page: Page): Promise<Record<string, { drawn: number; declared: number }>> {
  return page.$$eval('figure[data-chart]', (figs) => Object.fromEntries(figs.map((f) => [
    f.getAttribute('data-chart') as string,
    { drawn: f.querySelectorAll('svg [role="graphics-symbol"][aria-roledescription="bar"]').length, declared: Number(f.getAttribute('data-marks')) },
  ])));
}

export async function expectSampleReport(page: Page, errors: string[]): Promise<void> {
  expect(errors).toEqual([]);
  expect(await page.locator('script').count()).toBe(0);
  const marks = await chartMarks(page);
  for (const [id, n] of Object.entries(SAMPLE.marks)) {
    expect(marks[id], `chart ${id}`).toEqual({ drawn: n, declared: n });
  }
  expect(await page.locator('#attackers-table tbody tr').count()).toBe(SAMPLE.attackers);
  expect(await page.locator('#detail-list > details').count()).toBe(SAMPLE.attackers);
  // The top attacker's link opens its detail (the browser expands a closed <details> holding the target).
  const first = page.locator('#detail-list > details').first();
  expect(await first.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(false);
  await page.locator('#attackers-table tbody tr').first().locator('a').click();
  expect(await first.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
  await waitFor('the opened detail\'s table to show', () => first.locator('table').first().isVisible());
  expect(await first.innerText()).toMatch(/Protocol[\s\S]*Flags/);
}

/** Narrow viewport: the page does not scroll sideways (wide tables scroll inside their wrappers). */
export async function expectFitsPhone(page: Page): Promise<void> {
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => {
    window.scrollTo(0, 0);
    return document.documentElement.scrollWidth - document.documentElement.clientWidth;
  });
  expect(overflow).toBe(0);
}
