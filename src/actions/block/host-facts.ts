/**
 * What the never-block rules need to know about this host: its own addresses
 * (and IPv4 broadcast addresses), default gateways, DNS resolvers and the
 * peers of established SSH sessions. Own and broadcast addresses come from
 * the local routing table as well as from the interfaces: an address added
 * without `brd` has no broadcast in `ip addr`, yet the kernel treats the
 * subnet broadcast as local (`ip route show table local`). Each is read with the usual tool through
 * a Runner, so a test inside a namespace sees the namespace's view; the parsers
 * are pure and tolerate missing fields.
 */
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { normalizeAddress } from '../../net/address.js';
import type { Runner } from './types.js';

export interface HostAddress {
  addr: string;
  dev: string;
}

export interface HostFacts {
  own: HostAddress[];
  broadcasts: string[];
  gateways: string[];
  resolvers: string[];
  sshPeers: string[];
}

type Json = Record<string, unknown>;

function parseJsonArray(text: string): Json[] {
  const v: unknown = JSON.parse(text === '' ? '[]' : text);
  return Array.isArray(v) ? v.filter((x): x is Json => typeof x === 'object' && x !== null) : [];
}

/** Strips an IPv6 zone (`fe80::1%eth0`) and normalizes; null for anything that is not an address. */
function cleanAddress(s: unknown): string | null {
  if (typeof s !== 'string') return null;
  const pct = s.indexOf('%');
  return normalizeAddress(pct >= 0 ? s.slice(0, pct) : s);
}

/** `ip -j addr` output: local addresses and IPv4 broadcast addresses. */
export function parseIpAddr(text: string): { own: HostAddress[]; broadcasts: string[] } {
  const own: HostAddress[] = [];
  const broadcasts: string[] = [];
  for (const link of parseJsonArray(text)) {
    const dev = typeof link.ifname === 'string' ? link.ifname : '?';
    const infos = Array.isArray(link.addr_info) ? (link.addr_info as Json[]) : [];
    for (const info of infos) {
      const a = cleanAddress(info.local);
      if (a !== null) own.push({ addr: a, dev });
      const b = cleanAddress(info.broadcast);
      if (b !== null) broadcasts.push(b);
    }
  }
  return { own, broadcasts };
}

/**
 * `ip -j route show table local` output (either family): `local` and
 * `anycast` routes are addresses of this host (or whole prefixes, AnyIP),
 * `broadcast` routes its broadcast addresses.
 */
export function parseLocalRoutes(text: string): { own: HostAddress[]; broadcasts: string[] } {
  const own: HostAddress[] = [];
  const broadcasts: string[] = [];
  for (const r of parseJsonArray(text)) {
    if (typeof r.dst !== 'string') continue;
    const [addr, len] = r.dst.split('/') as [string, string | undefined];
    const a = cleanAddress(addr);
    if (a === null || (len !== undefined && !/^\d{1,3}$/.test(len))) continue;
    const dst = len === undefined ? a : `${a}/${len}`;
    if (r.type === 'local' || r.type === 'anycast') own.push({ addr: dst, dev: typeof r.dev === 'string' ? r.dev : '?' });
    else if (r.type === 'broadcast') broadcasts.push(dst);
  }
  return { own, broadcasts };
}

/** `ip -j route show default` output (either family): the gateways, multipath next hops included. */
export function parseDefaultRoutes(text: string): string[] {
  const out: string[] = [];
  const take = (r: Json): void => {
    const g = cleanAddress(r.gateway);
    if (g !== null) out.push(g);
    const via = r.via as Json | undefined;
    if (via && typeof via === 'object') {
      const v = cleanAddress(via.host);
      if (v !== null) out.push(v);
    }
  };
  for (const route of parseJsonArray(text)) {
    take(route);
    if (Array.isArray(route.nexthops)) for (const hop of route.nexthops as Json[]) take(hop);
  }
  return out;
}

/** `nameserver` lines of resolv.conf. */
export function parseResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    const a = m ? cleanAddress(m[1]) : null;
    if (a !== null) out.push(a);
  }
  return out;
}

/** Splits `ADDR:PORT` / `[ADDR]:PORT` and returns the address (and its IPv4 form when IPv4-mapped). */
function endpointAddresses(ep: string): string[] {
  const colon = ep.lastIndexOf(':');
  if (colon <= 0) return [];
  let host = ep.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const a = cleanAddress(host);
  if (a === null) return [];
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped ? [a, mapped[1] as string] : [a];
}

/** `ss -Htn state established '( sport = :22 )'` output: Recv-Q Send-Q Local Peer [Process]. */
export function parseSsPeers(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 4) out.push(...endpointAddresses(f[3] as string));
  }
  return out;
}

function hexToIPv4(h: string): string {
  // /proc/net/tcp stores the address as a host-order (little-endian on x86) 32-bit word.
  const n = Number.parseInt(h, 16);
  return `${n & 255}.${(n >>> 8) & 255}.${(n >>> 16) & 255}.${(n >>> 24) & 255}`;
}

function hexToIPv6(h: string): string | null {
  const groups: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = h.slice(w * 8, w * 8 + 8);
    const le = word.slice(6, 8) + word.slice(4, 6) + word.slice(2, 4) + word.slice(0, 2);
    groups.push(le.slice(0, 4), le.slice(4, 8));
  }
  return normalizeAddress(groups.join(':'));
}

/** /proc/net/tcp or tcp6: remote addresses of ESTABLISHED (state 01) sockets on the given local ports. */
export function parseProcNetTcp(text: string, ports: ReadonlySet<number>): string[] {
  const out: string[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '01') continue;
    const [lAddr, lPort] = (f[1] as string).split(':');
    const [rAddr] = (f[2] as string).split(':');
    if (!lAddr || !lPort || !rAddr || !ports.has(Number.parseInt(lPort, 16))) continue;
    const a = rAddr.length === 8 ? hexToIPv4(rAddr) : hexToIPv6(rAddr);
    if (a !== null) out.push(...endpointAddresses(`${a}:0`));
  }
  return out;
}

export interface FactOptions {
  run: Runner;
  resolvConf: string;
  sshPorts: readonly number[];
  gateways: boolean;
  resolvers: boolean;
  ssh: boolean;
}

async function ownAddresses(run: Runner): Promise<{ own: HostAddress[]; broadcasts: string[] }> {
  try {
    const [addrs, v4, v6] = await Promise.all([
      run('ip', ['-j', 'addr', 'show']).then((r) => parseIpAddr(r.stdout)),
      run('ip', ['-j', 'route', 'show', 'table', 'local']).then((r) => parseLocalRoutes(r.stdout), () => ({ own: [], broadcasts: [] })),
      run('ip', ['-j', '-6', 'route', 'show', 'table', 'local']).then((r) => parseLocalRoutes(r.stdout), () => ({ own: [], broadcasts: [] })),
    ]);
    return { own: [...addrs.own, ...v4.own, ...v6.own], broadcasts: [...addrs.broadcasts, ...v4.broadcasts, ...v6.broadcasts] };
  } catch {
    // No iproute2: Node's own view of the interfaces (no broadcast addresses there).
    const own: HostAddress[] = [];
    for (const [dev, infos] of Object.entries(networkInterfaces())) {
      for (const i of infos ?? []) {
        const a = cleanAddress(i.address);
        if (a !== null) own.push({ addr: a, dev });
      }
    }
    return { own, broadcasts: [] };
  }
}

async function gateways(run: Runner): Promise<string[]> {
  const [v4, v6] = await Promise.all([
    run('ip', ['-j', 'route', 'show', 'default']).then((r) => r.stdout, () => '[]'),
    run('ip', ['-j', '-6', 'route', 'show', 'default']).then((r) => r.stdout, () => '[]'),
  ]);
  return [...parseDefaultRoutes(v4), ...parseDefaultRoutes(v6)];
}

async function sshPeers(run: Runner, ports: readonly number[]): Promise<string[]> {
  if (ports.length === 0) return [];
  const filter = `( ${ports.map((p) => `sport = :${p}`).join(' or ')} )`;
  try {
    return parseSsPeers((await run('ss', ['-Htn', 'state', 'established', filter])).stdout);
  } catch {
    const set = new Set(ports);
    const read = (f: string): Promise<string> => run('cat', [f]).then((r) => r.stdout, () => '');
    const [t4, t6] = await Promise.all([read('/proc/net/tcp'), read('/proc/net/tcp6')]);
    return [...parseProcNetTcp(t4, set), ...parseProcNetTcp(t6, set)];
  }
}

/** Reads every fact the options ask for, in parallel. A source that cannot be read yields nothing. */
export async function gatherHostFacts(o: FactOptions): Promise<HostFacts> {
  const [addrs, gws, res, ssh] = await Promise.all([
    ownAddresses(o.run),
    o.gateways ? gateways(o.run) : Promise.resolve([]),
    o.resolvers ? readFile(o.resolvConf, 'utf8').then(parseResolvConf, () => []) : Promise.resolve([]),
    o.ssh ? sshPeers(o.run, o.sshPorts) : Promise.resolve([]),
  ]);
  return { own: addrs.own, broadcasts: addrs.broadcasts, gateways: gws, resolvers: res, sshPeers: ssh };
}
