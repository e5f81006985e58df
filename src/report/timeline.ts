/**
 * Packets per hour (UTC), split by the danger level their source had when
 * each packet arrived: the report's `timeline` (drawn by the HTML report).
 * Counting is on the per-packet hot path, so it caches the current hour's
 * row and allocates only when the hour changes. At most MAX_HOURS rows are
 * kept; the oldest go first.
 */
import { TS_MAX, TS_MIN } from '../model/packet.js';
import type { TimelineHour } from '../model/report.js';

const HOUR_MS = 3_600_000;
/** The hours of the event times the parser accepts: a saved row outside cannot be real (and no Date could show it). */
const FIRST_HOUR = Math.floor(TS_MIN / HOUR_MS);
const LAST_HOUR = Math.floor((TS_MAX - 1) / HOUR_MS);
/** About 13 months of hourly rows (each 6 numbers). */
export const MAX_HOURS = 24 * 400;

export class HourlyTimeline {
  #rows = new Map<number, Float64Array>();
  #hour = Number.NaN;
  #row: Float64Array | null = null;

  /** One scored packet at event time `ts` (ms) whose source is now at level `dl`. */
  packet(ts: number, dl: number): void {
    const h = Math.floor(ts / HOUR_MS);
    if (h !== this.#hour && !this.#select(h)) return;
    const row = this.#row as Float64Array;
    const i = dl > 5 ? 5 : dl < 0 ? 0 : dl;
    row[i] = (row[i] as number) + 1;
  }

  #select(h: number): boolean {
    if (!Number.isFinite(h)) return false;
    let row = this.#rows.get(h);
    if (row === undefined) {
      if (this.#rows.size >= MAX_HOURS) {
        const oldest = Math.min(...this.#rows.keys());
        if (h < oldest) return false;
        this.#rows.delete(oldest);
      }
      row = new Float64Array(6);
      this.#rows.set(h, row);
    }
    this.#hour = h;
    this.#row = row;
    return true;
  }

  /** Hours in time order; the report's `timeline`. */
  toReport(): TimelineHour[] {
    return [...this.#rows.keys()].sort((a, b) => a - b).map((h) => ({
      hour: new Date(h * HOUR_MS).toISOString(),
      packets: Array.from(this.#rows.get(h) as Float64Array),
    }));
  }

  /** JSON-able state: `[[hourIndex, n0..n5], ...]`. */
  exportState(): number[][] {
    return [...this.#rows].map(([h, r]) => [h, ...r]);
  }

  /** Replaces the rows with saved ones; malformed entries (or hours out of range) are ignored (the timeline is informational). */
  importState(saved: unknown): void {
    this.#rows.clear();
    this.#hour = Number.NaN;
    this.#row = null;
    if (!Array.isArray(saved)) return;
    for (const e of saved.slice(-MAX_HOURS)) {
      if (!Array.isArray(e) || e.length !== 7 || !e.every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0)) continue;
      const [h, ...counts] = e as number[];
      if (Number.isInteger(h) && (h as number) >= FIRST_HOUR && (h as number) <= LAST_HOUR) this.#rows.set(h as number, Float64Array.from(counts));
    }
  }
}
