/**
 * A small RFC 5322 / MIME reader for the tests (mailparser is not installed):
 * unfolds headers, decodes encoded words, splits multipart bodies and
 * decodes quoted-printable and base64 parts.
 */

export interface MimePart {
  /** Header lines as received (unfolded), in order. */
  headerLines: string[];
  headers: Map<string, string[]>;
  /** Decoded body for leaf parts ('' for multiparts). */
  body: string;
  /** The decoded bytes of a leaf part (images). */
  bytes: Buffer;
  parts: MimePart[];
}

function decodeQP(s: string): Buffer {
  const bytes: number[] = [];
  const text = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(c, 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

export function decodeWords(v: string): string {
  return v
    .replace(/(=\?[^?]+\?[QqBb]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_m, _cs: string, enc: string, data: string) =>
      enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQP(data.replace(/_/g, ' ')).toString('utf8'),
    );
}

function splitHeaders(raw: string): { headerLines: string[]; body: string } {
  const sep = raw.indexOf('\r\n\r\n');
  const head = sep < 0 ? raw : raw.slice(0, sep);
  const body = sep < 0 ? '' : raw.slice(sep + 4);
  const headerLines: string[] = [];
  for (const line of head.split('\r\n')) {
    if (/^[ \t]/.test(line) && headerLines.length > 0) headerLines[headerLines.length - 1] += line.replace(/^[ \t]+/, ' ');
    else if (line !== '') headerLines.push(line);
  }
  return { headerLines, body };
}

function param(value: string, name: string): string | null {
  const m = new RegExp(`;\\s*${name}="?([^";]+)"?`, 'i').exec(value);
  return m ? (m[1] as string) : null;
}

export function parseMime(raw: string): MimePart {
  const { headerLines, body } = splitHeaders(raw);
  const headers = new Map<string, string[]>();
  for (const line of headerLines) {
    const i = line.indexOf(':');
    const name = line.slice(0, i).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), decodeWords(line.slice(i + 1).trim())]);
  }
  const ctype = headers.get('content-type')?.[0] ?? 'text/plain';
  const boundary = param(ctype, 'boundary');
  if (/^multipart\//i.test(ctype) && boundary !== null) {
    const chunks = body.split(`--${boundary}`);
    const parts = chunks.slice(1).filter((c) => !c.startsWith('--')).map((c) => parseMime(c.replace(/^\r\n/, '').replace(/\r\n$/, '')));
    return { headerLines, headers, body: '', bytes: Buffer.alloc(0), parts };
  }
  const cte = (headers.get('content-transfer-encoding')?.[0] ?? '7bit').toLowerCase();
  const decoded = cte === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64') : cte === 'quoted-printable' ? decodeQP(body) : Buffer.from(body, 'utf8');
  return { headerLines, headers, body: decoded.toString('utf8').replace(/\r\n/g, '\n'), bytes: decoded, parts: [] };
}

export function header(p: MimePart, name: string): string | undefined {
  return p.headers.get(name.toLowerCase())?.[0];
}

/** Every leaf part, depth first. */
export function leafParts(p: MimePart): MimePart[] {
  return p.parts.length === 0 ? [p] : p.parts.flatMap(leafParts);
}

/** Depth-first search for the first leaf part whose content type starts with `type`. */
export function findPart(p: MimePart, type: string): MimePart | undefined {
  if (p.parts.length === 0) return (header(p, 'content-type') ?? 'text/plain').toLowerCase().startsWith(type) ? p : undefined;
  for (const c of p.parts) {
    const hit = findPart(c, type);
    if (hit) return hit;
  }
  return undefined;
}
