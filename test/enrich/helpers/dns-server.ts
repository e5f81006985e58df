/**
 * A real DNS server on loopback for reverse lookups: node:dgram answering
 * PTR queries from a table, NXDOMAIN for other names. It speaks the wire
 * format (RFC 1035), so node's resolver (c-ares) talks to it as to any
 * name server. A "silent" server receives queries and never answers.
 */
import { createSocket, type Socket } from 'node:dgram';
import { parseCidr } from '../../../src/net/address.js';

export interface DnsServer {
  /** "127.0.0.1:PORT" for Resolver.setServers. */
  address: string;
  /** Names asked, in order. */
  queries: string[];
  close(): Promise<void>;
}

/** The in-addr.arpa / ip6.arpa name of an address. */
export function ptrName(addr: string): string {
  const c = parseCidr(addr);
  if (c === null) throw new Error(`bad address ${addr}`);
  if (c.family === 4) return `${[...c.bytes].reverse().join('.')}.in-addr.arpa`;
  const nibbles: string[] = [];
  for (const b of c.bytes) nibbles.push((b >> 4).toString(16), (b & 15).toString(16));
  return `${nibbles.reverse().join('.')}.ip6.arpa`;
}

function readQuestion(msg: Buffer): { name: string; end: number; qtype: number } | null {
  const labels: string[] = [];
  let p = 12;
  while (p < msg.length) {
    const len = msg[p] as number;
    if (len === 0) {
      p++;
      break;
    }
    if (len > 63) return null;
    labels.push(msg.toString('latin1', p + 1, p + 1 + len));
    p += 1 + len;
  }
  if (p + 4 > msg.length) return null;
  return { name: labels.join('.').toLowerCase(), end: p + 4, qtype: msg.readUInt16BE(p) };
}

/** Wire form of a name; labels are taken byte for byte (so tests can send hostile names). */
function encodeName(name: string): Buffer {
  const parts = name.split('.').filter((l) => l !== '');
  return Buffer.concat([...parts.map((l) => Buffer.concat([Buffer.from([Buffer.byteLength(l, 'latin1')]), Buffer.from(l, 'latin1')])), Buffer.from([0])]);
}

function answer(query: Buffer, table: ReadonlyMap<string, string>): Buffer | null {
  if (query.length < 12) return null;
  const q = readQuestion(query);
  if (q === null) return null;
  const host = q.qtype === 12 ? table.get(q.name) : undefined;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0); // id
  const rd = query.readUInt16BE(2) & 0x0100;
  header.writeUInt16BE(0x8000 | 0x0400 | rd | 0x0080 | (host === undefined ? 3 : 0), 2); // QR AA RD RA rcode
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(host === undefined ? 0 : 1, 6);
  const question = query.subarray(12, q.end);
  if (host === undefined) return Buffer.concat([header, question]);
  const rdata = encodeName(host);
  const rr = Buffer.alloc(12);
  rr.writeUInt16BE(0xc00c, 0); // pointer to the question name
  rr.writeUInt16BE(12, 2); // PTR
  rr.writeUInt16BE(1, 4); // IN
  rr.writeUInt32BE(300, 6);
  rr.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([header, question, rr, rdata]);
}

async function bind(onMessage: (sock: Socket, msg: Buffer, port: number, host: string) => void): Promise<DnsServer> {
  const sock = createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (msg, rinfo) => {
    const q = msg.length >= 12 ? readQuestion(msg) : null;
    if (q !== null) queries.push(q.name);
    onMessage(sock, msg, rinfo.port, rinfo.address);
  });
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', res));
  return {
    address: `127.0.0.1:${sock.address().port}`,
    queries,
    close: () => new Promise<void>((res) => sock.close(() => res())),
  };
}

/** A server answering PTR queries for the given address -> name table. */
export function startPtrServer(names: Record<string, string>): Promise<DnsServer> {
  const table = new Map(Object.entries(names).map(([addr, host]) => [ptrName(addr), host]));
  return bind((sock, msg, port, host) => {
    const reply = answer(msg, table);
    if (reply !== null) sock.send(reply, port, host);
  });
}

/** A server that reads queries and never answers. */
export function startSilentServer(): Promise<DnsServer> {
  return bind(() => undefined);
}
