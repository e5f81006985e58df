/**
 * EMAIL_RATE_LIMIT: a sliding one-hour window of the times alert mails were
 * committed. Pure; the mailer persists `times` so a restart does not reset it.
 */

const HOUR_MS = 3_600_000;

export class RateWindow {
  private times: number[];

  constructor(private readonly perHour: number, saved: readonly number[] = []) {
    this.times = [];
    this.merge(saved);
  }

  /** Adds saved send times (from a state file). */
  merge(saved: readonly number[]): void {
    const valid = saved.filter((t) => typeof t === 'number' && Number.isFinite(t));
    this.times = [...this.times, ...valid].sort((a, b) => a - b);
  }

  /** True when one more mail fits into the hour before `now`. */
  allows(now: number): boolean {
    if (this.perHour <= 0) return true;
    this.prune(now);
    return this.times.length < this.perHour;
  }

  record(now: number): void {
    if (this.perHour <= 0) return;
    this.times.push(now);
    this.prune(now);
  }

  /** When the next mail fits (epoch ms); `now` when it already does. */
  nextSlot(now: number): number {
    if (this.allows(now)) return now;
    return (this.times[this.times.length - this.perHour] as number) + HOUR_MS;
  }

  toJSON(): number[] {
    return [...this.times];
  }

  private prune(now: number): void {
    let drop = 0;
    while (drop < this.times.length && (this.times[drop] as number) <= now - HOUR_MS) drop++;
    // A clock set back leaves entries "in the future"; they age out like the others.
    if (drop > 0) this.times = this.times.slice(drop);
    if (this.times.length > this.perHour) this.times = this.times.slice(this.times.length - this.perHour);
  }
}
