/**
 * `flags` and `fragbits`: `[+*!]LETTERS[+*!][,IGNORED]`.
 *
 * Differences from psad (both are psad bugs): `flags:0` means "no flag set"
 * and matches NULL scans; CWR and ECE are left out of the comparison unless
 * the rule names them, so `flags:S` matches an ECN SYN (`CWR ECE SYN`).
 */
import { IP_CE, IP_DF, IP_MF, TCP_ACK, TCP_CWR, TCP_ECE, TCP_FIN, TCP_PSH, TCP_RST, TCP_SYN, TCP_URG } from '../model/packet.js';
import { RuleError } from './rule-error.js';
import type { BitsCond } from './rule.js';

const TCP_LETTERS: Readonly<Record<string, number>> = {
  F: TCP_FIN, S: TCP_SYN, R: TCP_RST, P: TCP_PSH, A: TCP_ACK, U: TCP_URG,
  C: TCP_CWR, E: TCP_ECE, '1': TCP_CWR, '2': TCP_ECE, '0': 0,
};

const FRAG_LETTERS: Readonly<Record<string, number>> = { M: IP_MF, D: IP_DF, R: IP_CE };

function letters(s: string, table: Readonly<Record<string, number>>, what: string): number {
  let bits = 0;
  for (const ch of s) {
    const b = table[ch.toUpperCase()];
    if (b === undefined) throw new RuleError(`${what}: unknown flag "${ch}" in "${s}"`);
    bits |= b;
  }
  return bits;
}

function parseBits(raw: string, table: Readonly<Record<string, number>>, what: string): BitsCond {
  const text = raw.trim();
  const [main = '', ignorePart] = text.replace(/\s+/g, '').split(',', 2);
  let body = main;
  let mode: BitsCond['mode'] = '';
  const isMod = (c: string | undefined): c is '+' | '*' | '!' => c === '+' || c === '*' || c === '!';
  if (isMod(body[0])) {
    mode = body[0];
    body = body.slice(1);
  } else if (isMod(body[body.length - 1])) {
    mode = body[body.length - 1] as '+' | '*' | '!';
    body = body.slice(0, -1);
  }
  if (body === '') throw new RuleError(`${what}: no flags in "${text}"`);
  if (body.includes('0') && body.length > 1) throw new RuleError(`${what}: "0" (no flags) cannot be combined with other flags`);
  const bits = letters(body, table, what);
  const ignore = ignorePart === undefined || ignorePart === '' ? 0 : letters(ignorePart, table, what);
  return { bits, mode, ignore, text };
}

export function parseFlags(raw: string): BitsCond {
  const cond = parseBits(raw, TCP_LETTERS, 'flags');
  // ECN bits take part only when the rule names them (see the header comment).
  const ecn = (TCP_CWR | TCP_ECE) & ~cond.bits;
  return { ...cond, ignore: cond.ignore | ecn };
}

export function parseFragbits(raw: string): BitsCond {
  return parseBits(raw, FRAG_LETTERS, 'fragbits');
}

/** psad's `flow:established` adds ACK to the expected flags (or requires it when there is no flags option). */
export function withAck(c: BitsCond | null): BitsCond {
  if (c === null) return { bits: TCP_ACK, mode: '+', ignore: 0, text: '+A (flow:established)' };
  if (c.mode === '' || c.mode === '+') return { ...c, bits: c.bits | TCP_ACK, text: `${c.text} +A (flow:established)` };
  return c;
}

export function bitsMatch(c: BitsCond, value: number): boolean {
  const v = value & ~c.ignore;
  switch (c.mode) {
    case '':
      return v === c.bits;
    case '+':
      return (v & c.bits) === c.bits;
    case '*':
      return c.bits === 0 ? v === 0 : (v & c.bits) !== 0;
    case '!':
      return c.bits === 0 ? v !== 0 : (v & c.bits) === 0;
  }
}

export function ipFlagsText(bits: number): string {
  const out = [[IP_CE, 'CE'], [IP_DF, 'DF'], [IP_MF, 'MF']].filter(([b]) => (bits & (b as number)) !== 0).map(([, n]) => n);
  return out.length === 0 ? 'none' : out.join(' ');
}
