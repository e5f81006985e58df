/**
 * Real journal files for tests, without a running journald: export text
 * piped to systemd-journal-remote, read back with journalctl --file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const REMOTE = '/lib/systemd/systemd-journal-remote';

/** True when journalctl and systemd-journal-remote are installed; under CI=true their absence is an error. */
export const journalAvailable = ((): boolean => {
  const ok = existsSync(REMOTE) && (() => {
    try {
      execFileSync('journalctl', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  if (!ok && process.env.CI === 'true') throw new Error('journalctl and systemd-journal-remote are required under CI=true');
  return ok;
})();

/** Appends journal export text (records ending in a blank line) to a journal file. */
export function appendJournal(file: string, exportText: string): void {
  execFileSync(REMOTE, ['-o', file, '-'], { input: exportText, stdio: ['pipe', 'ignore', 'ignore'] });
}
