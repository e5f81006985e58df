/** A service pattern: which program's lines it reads, the templates tried in order, and what a match means. */
import type { ParseContext } from '../context.js';
import { compileTemplate, matchTemplate, type Captures, type Template } from './template.js';

export interface PatternHit extends Captures {
  /** Time the message itself carries (a web access log's), NaN to use the envelope's. */
  ts: number;
}

export interface ServicePattern {
  readonly name: string;
  /** The service whose ladder the events climb (SERVICE_DL_<SERVICE>, or SERVICE_DL_OTHER). */
  readonly service: string;
  readonly kind: string;
  /** Syslog tags (SYSLOG_IDENTIFIER) it reads; `postfix/*` is a prefix; '' a line without a syslog envelope. */
  readonly programs: readonly string[];
  readonly templates: readonly Template[];
  /** `built-in`, or FILE:LINE of its definition. */
  readonly origin: string;
  /** Rules in code instead of templates (web access logs). */
  readonly code?: (msg: string, ctx: ParseContext, out: PatternHit) => boolean;
}

/** First template of `p` that matches, written into out; false when none does. */
export function matchPattern(p: ServicePattern, msg: string, ctx: ParseContext, out: PatternHit): boolean {
  out.ts = Number.NaN;
  if (p.code !== undefined) return p.code(msg, ctx, out);
  for (const t of p.templates) if (matchTemplate(t, msg, out) !== null) return true;
  return false;
}

/** A built-in pattern from its template texts. */
export function builtIn(name: string, service: string, kind: string, programs: readonly string[], templates: readonly string[]): ServicePattern {
  return { name, service, kind, programs, templates: templates.map(compileTemplate), origin: 'built-in' };
}
