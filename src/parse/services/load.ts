/** The service patterns a configuration asks for: the shipped ones not switched off, then the users'. */
import type { Config } from '../../config/keys/index.js';
import { BUILT_IN } from './built-in.js';
import { loadPatternDir } from './pattern-file.js';
import type { ServicePattern } from './pattern.js';
import { ServiceMatcher } from './service-matcher.js';

export interface LoadedPatterns {
  patterns: ServicePattern[];
  /** Names in SERVICE_PATTERNS_DISABLE that name no shipped pattern. */
  unknownDisabled: string[];
}

/** Throws ConfigError (file, line, key) for a bad pattern file. */
export function servicePatterns(cfg: Config, opts: { dir?: string | undefined } = {}): LoadedPatterns {
  const off = new Set(cfg.SERVICE_PATTERNS_DISABLE);
  const taken = new Set(BUILT_IN.map((p) => p.name));
  const users = loadPatternDir(opts.dir ?? cfg.SERVICE_PATTERNS_DIR, taken);
  return {
    patterns: [...BUILT_IN.filter((p) => !off.has(p.name)), ...users],
    unknownDisabled: [...off].filter((n) => !BUILT_IN.some((p) => p.name === n)),
  };
}

/** The matcher for a configuration, or null when ENABLE_SERVICE_LOGS is N. */
export function createServiceMatcher(cfg: Config, warn: (msg: string) => void = () => {}): ServiceMatcher | null {
  if (!cfg.ENABLE_SERVICE_LOGS) return null;
  const { patterns, unknownDisabled } = servicePatterns(cfg);
  for (const n of unknownDisabled) warn(`SERVICE_PATTERNS_DISABLE: "${n}" names no shipped pattern (tsad patterns list)`);
  return new ServiceMatcher(patterns, cfg.SERVICE_BARE_PROGRAM);
}

/** postfix's usual syslog names (syslog_name per master.cf service), for `postfix/*` where exact names are needed. */
const POSTFIX_NAMES = ['postfix/smtpd', 'postfix/submission/smtpd', 'postfix/smtps/smtpd', 'postfix/postscreen'];

/**
 * The SYSLOG_IDENTIFIERs whose journal records the patterns read (the
 * daemon's journald source asks journalctl for them besides kernel records);
 * none when ENABLE_SERVICE_LOGS is N.
 */
export function journalIdentifiers(cfg: Config): string[] {
  if (!cfg.ENABLE_SERVICE_LOGS) return [];
  const out = new Set<string>();
  for (const p of servicePatterns(cfg).patterns) {
    for (const prog of p.programs) {
      if (prog === '') continue;
      if (!prog.endsWith('*')) out.add(prog);
      else for (const n of POSTFIX_NAMES) if (n.startsWith(prog.slice(0, -1))) out.add(n);
    }
  }
  return [...out].sort();
}
