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
