/**
 * The daemon's log: one line per event on stderr. Under systemd (stderr is
 * the journal, JOURNAL_STREAM is set) each line starts with its syslog
 * priority as `<N>`, which journald stores as the PRIORITY field; elsewhere
 * lines carry a UTC time stamp and the level in words.
 */
import type { Writable } from 'node:stream';
import { escapeText } from '../text/escape.js';
import type { Logger, LogLevel } from './hooks.js';

const PRIORITY: Record<LogLevel, number> = { error: 3, warn: 4, notice: 5, info: 6 };
const WORD: Record<LogLevel, string> = { error: 'error: ', warn: 'warning: ', notice: '', info: '' };

export function createLogger(out: Writable = process.stderr, journal = process.env.JOURNAL_STREAM !== undefined): Logger {
  return (level, msg) => {
    // Log data in a message (prefixes, signature text, file names) cannot forge a line or reach a terminal raw.
    const text = escapeText(msg);
    out.write(journal ? `<${PRIORITY[level]}>${WORD[level]}${text}\n` : `${new Date().toISOString()} tsad: ${WORD[level]}${text}\n`);
  };
}
