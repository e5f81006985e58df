/**
 * The mailer's small state (per-source counters, the rate window) in one
 * JSON file, rewritten atomically. Writes never overlap: while one is in
 * flight, later changes coalesce into a single following write.
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../io/atomic-file.js';
import type { SourceMailState } from './alert-policy.js';

export interface MailerState {
  v: 1;
  sources: Record<string, SourceMailState>;
  rate: number[];
}

export function loadMailerState(path: string, log: (msg: string) => void): MailerState | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  try {
    const s = JSON.parse(text) as Partial<MailerState>;
    if (s.v !== 1 || typeof s.sources !== 'object' || s.sources === null || !Array.isArray(s.rate)) throw new Error('unknown format');
    return { v: 1, sources: s.sources, rate: s.rate };
  } catch (err) {
    log(`mail state ${path}: ${(err as Error).message}; starting with empty counters`);
    return null;
  }
}

export class StateWriter {
  private inFlight: Promise<void> | null = null;
  private dirty = false;

  constructor(private readonly path: string, private readonly snapshot: () => MailerState, private readonly log: (msg: string) => void) {}

  /** Schedules a write of the current state. */
  save(): void {
    this.dirty = true;
    if (this.inFlight === null) this.inFlight = this.drain();
  }

  /** Resolves when everything saved so far is on disk. */
  async idle(): Promise<void> {
    while (this.inFlight !== null) await this.inFlight;
  }

  private async drain(): Promise<void> {
    try {
      while (this.dirty) {
        this.dirty = false;
        try {
          await writeFileAtomic(this.path, JSON.stringify(this.snapshot()));
        } catch (err) {
          this.log(`cannot write mail state ${this.path}: ${(err as Error).message}`);
        }
      }
    } finally {
      this.inFlight = null;
    }
  }
}
