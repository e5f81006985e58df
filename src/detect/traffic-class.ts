/**
 * Which logged packets are not scans at all, and which way a packet goes.
 *
 * On real hosts most LOG lines are not probes: replies to the host's own
 * connections (an HTTPS download, a resolver's answer, an NTP reply),
 * backscatter (SYN-ACKs and RSTs of servers answering someone who spoofed
 * this host's address), the host's own client traffic on a ruleset that
 * logs everything, and LAN discovery chatter (mDNS, SSDP, NetBIOS, DHCP,
 * IGMP, NDP/MLD). psad scored all of them; here they are counted under a
 * skip reason and never reach the ladders or the signatures:
 *
 *   reply         TCP with ACK/RST answering a connection the log showed
 *                 this side open; UDP answering a flow it sent (within
 *                 FLOW_TIMEOUT_MS); ICMP echo/timestamp/mask replies and
 *                 errors about packets this side sent; UDP from a LAN
 *                 address, or from port 53/123, to a local ephemeral port,
 *                 a few distinct ports a minute (late answers whose query
 *                 was not logged)
 *   backscatter   SYN-ACK, RST or ICMP errors from outside that answer
 *                 nothing this side sent
 *   own-traffic   what this host or an inside host sends as part of its
 *                 own connections: TCP with ACK/RST set, and new client
 *                 connections (OWN_CLIENT_PORTS) from a normal stack
 *   lan-discovery multicast and broadcast datagrams, IGMP to groups, UDP to or from
 *                 discovery ports from a LAN address, NDP/MLD from a
 *                 link-local address
 *   conntrack-leftover  other TCP with ACK/RST from outside (late packets
 *                 of real connections, IGNORE_CONNTRACK_BUG_PKTS)
 *
 * nmap's crafted ACK/FIN-ACK probes and its OS-detection probes are never
 * taken for replies (probe-traits.ts).
 *
 * Direction: INPUT is inbound and OUTPUT outbound; a FORWARD packet is
 * outbound when its source is inside (HOME_NET when set; else an inside
 * address range, an address of this host, or a LAN-side interface: a
 * bridge such as docker0/br-*, veth*, or any interface but the one public
 * sources arrive on), forward when both ends are inside, and inbound
 * otherwise (IN=eth0 OUT=eth0 from a public source is traffic from the
 * internet for a neighbour, not egress).
 *
 * State is small and bounded: the host's own addresses (at most
 * MAX_LOCAL_ADDRESSES), the interface public sources arrive on, recent
 * flows (two generations of at most FLOW_CAP each), and per-source reply
 * budgets for the current minute. Flows are keyed by the remote end so a
 * pipeline partitioned by source address can route an outbound packet's
 * flow to the part that owns its destination.
 */
import type { Config } from '../config/keys/index.js';
import { TCP_ACK, TCP_RST, TCP_SYN, type Direction, type Packet, type SkipReason } from '../model/packet.js';
import { addressScope, isBroadcastMac, isInsideScope, isLanScope, isMulticastMac, looksLikeSubnetBroadcast, Scope } from '../net/address-scope.js';
import { parseIPv4 } from '../net/address.js';
import { invalidIcmp } from './icmp-types.js';
import { PortIgnoreTable } from './ignore-rules.js';
import { homeNet, type LocalNetworks } from './local-networks.js';
import { isNmapWindow, looksLikeNmapOsProbe, looksLikeNmapProbe } from './probe-traits.js';
import { isOsSyn } from './scan-class.js';

const MAX_LOCAL_ADDRESSES = 4096;
const FLOW_CAP = 65_536;
/** How long an outbound flow makes answers replies: above conntrack's UDP stream timeout (120 s). */
const FLOW_TIMEOUT_MS = 180_000;
/** Distinct local ports one source may answer on per minute before its "replies" count as probes. */
const REPLY_PORTS_PER_MINUTE = 8;
const BUDGET_CAP = 65_536;

/** Interfaces that are the LAN side of this host by their name: Docker, Podman, libvirt, LXC, Kubernetes bridges, veth pairs, taps. */
const LAN_IF = /^(?:docker\d|br-|veth|virbr|lxcbr|lxdbr|cni|podman|cali|flannel|weave|kube-bridge|cbr\d|vnet\d|tap)/;

/** UDP ports of LAN discovery and address configuration (either end). */
const DISCOVERY_PORTS = new Set([67, 68, 137, 138, 546, 547, 1900, 3702, 5353, 5355]);

/** ICMP types that answer something: echo, timestamp, information and mask replies, and errors. */
const ICMP4_REPLY = new Set([0, 14, 16, 18]);
const ICMP4_ERROR = new Set([3, 11, 12]);
const ICMP6_REPLY = new Set([129]);
const ICMP6_ERROR = new Set([1, 2, 3, 4]);
/** NDP, MLD, inverse ND and multicast router discovery (RFC 4861, 2710, 3810, 3122, 4286). */
const ICMP6_LINK = new Set([130, 131, 132, 133, 134, 135, 136, 137, 141, 142, 143, 151, 152, 153]);

export interface TrafficOptions {
  /** IGNORE_REPLIES: skip replies and backscatter. */
  replies: boolean;
  /** IGNORE_OWN_TRAFFIC: skip this side's own client connections. */
  ownTraffic: boolean;
  /** IGNORE_LAN_DISCOVERY: skip LAN discovery chatter. */
  lanDiscovery: boolean;
  /** IGNORE_CONNTRACK_BUG_PKTS: other TCP with ACK/RST from outside is a leftover. */
  leftovers: boolean;
}

interface ReplyBudget {
  minute: number;
  ports: number[];
  spent: boolean;
}

export class TrafficClassifier {
  readonly #o: TrafficOptions;
  readonly #home: LocalNetworks;
  readonly #clientPorts: PortIgnoreTable;
  readonly #locals = new Set<string>();
  /** Packets from public IPv4 sources per input interface: the busiest is where the internet comes in. */
  readonly #publicIn = new Map<string, number>();
  #wan = '';
  #flows = new Map<string, number>();
  #oldFlows = new Map<string, number>();
  readonly #budgets = new Map<string, ReplyBudget>();
  /** The scope of the current packet's source (#direction() works it out first for every packet). */
  #srcScope: Scope = Scope.Public;
  /** The destination last added to #locals (most packets go to the same few: no hash of its text per packet). */
  #lastLocal = '';

  constructor(cfg: Config) {
    this.#o = {
      replies: cfg.IGNORE_REPLIES,
      ownTraffic: cfg.IGNORE_OWN_TRAFFIC,
      lanDiscovery: cfg.IGNORE_LAN_DISCOVERY,
      leftovers: cfg.IGNORE_CONNTRACK_BUG_PKTS,
    };
    this.#home = homeNet(cfg);
    this.#clientPorts = new PortIgnoreTable(cfg.OWN_CLIENT_PORTS);
  }

  /** Whether any packet can be skipped (psad mode turns all of it off; direction is still set). */
  get active(): boolean {
    return this.#o.replies || this.#o.ownTraffic || this.#o.lanDiscovery;
  }

  /** An address of this host (the daemon adds the interfaces' addresses; the log teaches the rest). */
  addLocalAddress(addr: string): void {
    if (this.#locals.size < MAX_LOCAL_ADDRESSES) this.#locals.add(addr);
  }

  isLocalAddress(addr: string): boolean {
    return this.#locals.has(addr);
  }

  /** The interface public IPv4 sources arrive on ('' until known): its packets teach #countPublic nothing more. */
  get wan(): string {
    return this.#wan;
  }

  /** Sets p.dir and says why the packet is not a probe, or null when it is scored. */
  classify(p: Packet): SkipReason | null {
    const dir = this.#direction(p);
    p.dir = dir;
    const inside = dir !== 'inbound';
    if (inside) this.#noteFlow(p);
    if (!this.active) return null;
    switch (p.protoNum) {
      case 6:
        return this.#tcp(p, inside);
      case 17:
      case 136:
        return this.#udp(p, inside);
      case 1:
      case 58:
        return this.#icmp(p);
      case 2:
        // IGMP reports and queries go to groups with TTL 1; a unicast IGMP packet is a probe (nmap -sO).
        return this.#o.lanDiscovery && (p.ttl === 1 || this.#toGroup(p)) ? 'lan-discovery' : null;
      default:
        return this.#o.lanDiscovery && this.#toGroup(p) ? 'lan-discovery' : null;
    }
  }

  #direction(p: Packet): Direction {
    const src = addressScope(p.src, p.family);
    this.#srcScope = src;
    if (p.family === 4 && src === Scope.Public && p.inIf !== '') this.#countPublic(p.inIf);
    if (p.chain === 'INPUT') {
      // #toGroup() has no effect beyond its answer: not needed when the address is the one added last.
      if (p.dst !== this.#lastLocal && !this.#toGroup(p)) {
        this.addLocalAddress(p.dst);
        this.#lastLocal = p.dst;
      }
      return 'inbound';
    }
    if (p.chain === 'OUTPUT') {
      this.addLocalAddress(p.src);
      return 'outbound';
    }
    if (p.inIf === p.outIf) return this.#inside(p.src, src, '') && isInsideScope(src) ? 'forward' : 'inbound';
    if (!this.#inside(p.src, src, p.inIf)) return 'inbound';
    return this.#inside(p.dst, addressScope(p.dst, p.family), p.outIf) ? 'forward' : 'outbound';
  }

  /** Inside this site: HOME_NET when set, else by address range, this host's addresses, or the interface's side. */
  #inside(addr: string, scope: Scope, iface: string): boolean {
    if (!this.#home.empty) return this.#home.contains(addr);
    if (isInsideScope(scope) || this.#locals.has(addr)) return true;
    if (iface === '') return false;
    return LAN_IF.test(iface) || (this.#wan !== '' && iface !== this.#wan);
  }

  #countPublic(iface: string): void {
    if (iface === this.#wan) return;
    const n = (this.#publicIn.get(iface) ?? 0) + 1;
    if (this.#publicIn.size < 64 || this.#publicIn.has(iface)) this.#publicIn.set(iface, n);
    if (this.#wan === '' ? n >= 16 : n > (this.#publicIn.get(this.#wan) ?? 0)) this.#wan = iface;
  }

  /** Records what an inside host opens, so the answers can be told from probes. */
  #noteFlow(p: Packet): void {
    if (p.sport < 0 || p.dport < 0) return;
    const pn = p.protoNum;
    if (pn === 6 ? (p.tcpFlags & (TCP_SYN | TCP_ACK)) !== TCP_SYN : pn !== 17 && pn !== 136) return;
    if (this.#flows.size >= FLOW_CAP) {
      this.#oldFlows = this.#flows;
      this.#flows = new Map();
    }
    this.#flows.set(flowKey(p.dst, p.dport, p.sport, pn), p.ts);
  }

  /** The packet answers a flow an inside host opened (from its remote end's view). */
  #answersFlow(p: Packet): boolean {
    // No key text to build while no inside host opened anything (a drop log of inbound probes).
    if (this.#flows.size === 0 && this.#oldFlows.size === 0) return false;
    const k = flowKey(p.src, p.sport, p.dport, p.protoNum);
    const t = this.#flows.get(k) ?? this.#oldFlows.get(k);
    if (t === undefined) return false;
    return p.protoNum === 6 || Number.isNaN(p.ts) || Number.isNaN(t) || p.ts - t <= FLOW_TIMEOUT_MS;
  }

  #tcp(p: Packet, inside: boolean): SkipReason | null {
    const f = p.tcpFlags;
    if ((f & (TCP_ACK | TCP_RST)) !== 0) {
      if (!this.#o.replies || isCraftedProbe(p)) return null;
      if (inside) return 'own-traffic';
      if (this.#answersFlow(p)) return 'reply';
      // A SYN-ACK or RST answers a connection attempt: from outside and unasked, someone spoofed this side.
      if ((f & (TCP_SYN | TCP_RST)) !== 0) return 'backscatter';
      return this.#o.leftovers ? 'conntrack-leftover' : null;
    }
    if (inside && this.#o.ownTraffic && (f & TCP_SYN) !== 0 && this.#clientPorts.has(6, p.dport) && isClientSyn(p)) return 'own-traffic';
    return null;
  }

  #udp(p: Packet, inside: boolean): SkipReason | null {
    if (inside) {
      if (this.#o.ownTraffic && this.#clientPorts.has(p.protoNum, p.dport)) return 'own-traffic';
      if (this.#o.lanDiscovery && this.#toGroup(p)) return 'lan-discovery';
      return null;
    }
    const scope = this.#srcScope;
    if (this.#o.lanDiscovery) {
      if (this.#toGroup(p)) return 'lan-discovery';
      if (isLanScope(scope) && (DISCOVERY_PORTS.has(p.dport) || DISCOVERY_PORTS.has(p.sport))) return 'lan-discovery';
    }
    if (!this.#o.replies) return null;
    if (this.#answersFlow(p)) return 'reply';
    if (p.dport < 1024 && !(p.sport === 123 && p.dport === 123)) return null;
    const lateAnswer = (p.sport === 53 && p.udpLen <= 520) || (p.sport === 123 && p.udpLen <= 76);
    if (!lateAnswer && !(isLanScope(scope) && this.#o.lanDiscovery)) return null;
    return this.#withinBudget(p) ? 'reply' : null;
  }

  #icmp(p: Packet): SkipReason | null {
    const v6 = p.family === 6;
    const t = p.icmpType;
    if (invalidIcmp(p.family, t, p.icmpCode) !== null) return null; // psad's invalid-ICMP level still applies
    if (v6 && ICMP6_LINK.has(t) && this.#o.lanDiscovery) {
      const scope = this.#srcScope;
      // A router advertisement or redirect must come from a link-local address; others go to the signatures.
      if ((t === 134 || t === 137) && scope !== Scope.LinkLocal) return null;
      if (scope === Scope.LinkLocal || scope === Scope.Unspecified || p.ttl === 255 || p.ttl === 1) return 'lan-discovery';
      return null;
    }
    if (!this.#o.replies) return null;
    if (v6 ? ICMP6_REPLY.has(t) : ICMP4_REPLY.has(t)) return 'reply';
    if (v6 ? ICMP6_ERROR.has(t) : ICMP4_ERROR.has(t)) {
      // The error quotes the packet it is about: a reply when that packet was one of the flows seen going out.
      const q = p.inner;
      if (q === null) return 'reply';
      const k = flowKey(q.dst, q.dport, q.sport, q.proto === 'tcp' ? 6 : q.proto === 'udp' ? 17 : -1);
      return this.#flows.has(k) || this.#oldFlows.has(k) ? 'reply' : 'backscatter';
    }
    if (this.#o.lanDiscovery && this.#toGroup(p)) return 'lan-discovery';
    return null;
  }

  /** Sent to a multicast group or a broadcast address (by IP, by Ethernet destination, or a LAN's x.x.x.255). */
  #toGroup(p: Packet): boolean {
    const d = addressScope(p.dst, p.family);
    if (d === Scope.Multicast || d === Scope.Broadcast) return true;
    if (p.mac !== '' && (isBroadcastMac(p.mac) || isMulticastMac(p.mac))) return true;
    if (p.family !== 4 || !isLanScope(this.#srcScope)) return false;
    const s = parseIPv4(p.src);
    const t = parseIPv4(p.dst);
    return s !== null && t !== null && looksLikeSubnetBroadcast(s, t);
  }

  /** A few distinct local ports per source and minute are answers; more is someone probing with a reply's source port. */
  #withinBudget(p: Packet): boolean {
    const minute = Number.isNaN(p.ts) ? 0 : Math.floor(p.ts / 60_000);
    let b = this.#budgets.get(p.src);
    if (b === undefined || b.minute !== minute) {
      if (b === undefined && this.#budgets.size >= BUDGET_CAP) this.#budgets.clear();
      b = { minute, ports: [], spent: false };
      this.#budgets.set(p.src, b);
    }
    if (b.spent) return false;
    if (b.ports.includes(p.dport)) return true;
    if (b.ports.length >= REPLY_PORTS_PER_MINUTE) {
      b.spent = true;
      return false;
    }
    b.ports.push(p.dport);
    return true;
  }
}

function flowKey(remote: string, remotePort: number, localPort: number, proto: number): string {
  return `${remote} ${remotePort} ${localPort} ${proto}`;
}

/** nmap's crafted ACK / FIN-ACK / RST probes and its OS-detection probes: scans, not replies. */
function isCraftedProbe(p: Packet): boolean {
  return looksLikeNmapProbe(p) || looksLikeNmapOsProbe(p);
}

/** A SYN from an operating system's connect(): OS-like options, and DF on IPv4 (raw scanners send neither). */
function isClientSyn(p: Packet): boolean {
  if (!isOsSyn(p)) return false;
  if (p.family === 4 && (p.ipFlags & 2) === 0) return false;
  return !isNmapWindow(p.window);
}
