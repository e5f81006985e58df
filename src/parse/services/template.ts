/**
 * Match templates for service log messages, fail2ban's placeholders without
 * its regular expressions: literal text with `<HOST>` (the source address),
 * `<USER>` (the user name tried, at most once) and `<*>` (any text).
 *
 * Matching is a fixed number of indexOf/lastIndexOf calls, so no line can
 * make it slow (no backtracking). A literal at the start of a template must
 * start the message and one at the end must end it. Text left of `<USER>`
 * is matched from the start, each placeholder ending at the first following
 * literal; text right of `<USER>` is matched from the end of the message,
 * each placeholder starting after the last preceding literal; the user name
 * is what lies between. So a user name that contains "from 6.6.6.6 port 1"
 * cannot pass for the address: the address is found where the program
 * wrote it, after the user name.
 */

export type Slot = 'host' | 'user' | 'any';

/** A compiled template: literals and slots alternate (lits[i] comes before slots[i]; lits has one more). */
export interface Template {
  readonly text: string;
  readonly lits: readonly string[];
  readonly slots: readonly Slot[];
  /** Index into slots of <USER>, -1 when none. */
  readonly user: number;
}

const TOKENS: ReadonlyArray<[string, Slot]> = [['<HOST>', 'host'], ['<USER>', 'user'], ['<*>', 'any']];

/** Compiles template text; throws Error naming the problem. */
export function compileTemplate(text: string): Template {
  const lits: string[] = [];
  const slots: Slot[] = [];
  let lit = '';
  let i = 0;
  while (i < text.length) {
    const tok = text.charCodeAt(i) === 60 ? TOKENS.find(([t]) => text.startsWith(t, i)) : undefined;
    if (tok === undefined) {
      lit += text[i];
      i++;
      continue;
    }
    if (slots.length > 0 && lit === '') throw new Error(`"${tok[0]}" directly after another placeholder: put fixed text between them`);
    lits.push(lit);
    slots.push(tok[1]);
    lit = '';
    i += tok[0].length;
  }
  lits.push(lit);
  const hosts = slots.filter((s) => s === 'host').length;
  if (hosts !== 1) throw new Error(`a template needs exactly one <HOST>, this one has ${hosts}`);
  if (slots.filter((s) => s === 'user').length > 1) throw new Error('at most one <USER> per template');
  if (lits.every((l) => l === '')) throw new Error('a template needs fixed text');
  return { text, lits, slots, user: slots.indexOf('user') };
}

/** What a match extracted. */
export interface Captures {
  host: string;
  user: string;
}

/** Reused per call: the matcher is synchronous. */
const bounds: number[] = [];

/** Captures of `msg` against `t`, or null when it does not match. `out` is filled and returned. */
export function matchTemplate(t: Template, msg: string, out: Captures): Captures | null {
  const { lits, slots } = t;
  const n = slots.length;
  const first = lits[0] as string;
  if (!msg.startsWith(first)) return null;
  // bounds[2k], bounds[2k+1]: start and end of slot k.
  const split = t.user >= 0 ? t.user : n;
  let pos = first.length;
  for (let k = 0; k < split; k++) {
    const next = lits[k + 1] as string;
    let end: number;
    if (k === n - 1) {
      // The last slot: the last literal ends the message.
      if (!msg.endsWith(next)) return null;
      end = msg.length - next.length;
      if (end < pos) return null;
    } else {
      end = msg.indexOf(next, pos);
      if (end < 0) return null;
    }
    bounds[2 * k] = pos;
    bounds[2 * k + 1] = end;
    pos = end + next.length;
  }
  if (split < n) {
    // From the end back to the user slot.
    const last = lits[n] as string;
    if (!msg.endsWith(last)) return null;
    let end = msg.length - last.length;
    if (end < pos) return null;
    for (let k = n - 1; k > split; k--) {
      const prev = lits[k] as string;
      const at = end - prev.length < pos ? -1 : msg.lastIndexOf(prev, end - prev.length);
      if (at < pos) return null;
      bounds[2 * k] = at + prev.length;
      bounds[2 * k + 1] = end;
      end = at;
    }
    bounds[2 * split] = pos;
    bounds[2 * split + 1] = end;
  }
  out.host = '';
  out.user = '';
  for (let k = 0; k < n; k++) {
    const s = slots[k];
    if (s === 'any') continue;
    const v = msg.slice(bounds[2 * k], bounds[2 * k + 1]);
    if (s === 'host') out.host = v;
    else out.user = v;
  }
  return out;
}
