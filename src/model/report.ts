/**
 * The JSON report contract (`analyze --json`, `status --json`). Field names
 * are promises to users' scripts: add fields, never rename these.
 */
import type { Direction } from './packet.js';

export type DangerLevel = 0 | 1 | 2 | 3 | 4 | 5;

export type ScanType =
  | 'SYN' | 'CONNECT' | 'FIN' | 'NULL' | 'XMAS' | 'ACK' | 'MAIMON' | 'WINDOW'
  | 'UDP' | 'PROTO' | 'ICMP' | 'SWEEP';

export interface ProtoReport {
  packets: number;
  /** Lowest and highest destination port; absent for protocols without ports. */
  portRange?: [number, number];
  /** Distinct destination ports. */
  ports?: number;
  /** TCP flag combination (netfilter order, e.g. `SYN`, `URG PSH FIN`, `NULL`) -> packets. */
  flags?: Record<string, number>;
}

export interface SignatureReport {
  msg: string;
  sid: number;
  dl: number;
  hits: number;
}

export interface ReputationReport {
  feed: string;
  dl: number;
}

/** Service-log evidence of a source for one service (`services.sshd`, ...). */
export interface ServiceReport {
  /** Failures logged (failed logins, probes). */
  events: number;
  /** User names tried, the first SERVICE_MAX_USERS, raw (escape before display). */
  users: string[];
  /** Distinct further user names tried beyond `users`. */
  moreUsers?: number;
  /** Failures by kind (invalid-user, failed-login, relay-denied, exploit-probe, ...). */
  kinds: Record<string, number>;
  first: string;
  last: string;
}

/** One destination of a source as `tsad status` shows it (`topDestinations`). */
export interface DestinationView {
  dst: string;
  packets: number;
  /** Lowest and highest TCP, UDP or UDP-Lite port probed; null when none. */
  portRange: [number, number] | null;
  protocols: string[];
  lastSeen: string;
}

export interface SourceReport {
  src: string;
  addresses?: string[];
  dl: DangerLevel;
  packets: number;
  destinations: number;
  direction: Direction;
  protocols: Record<string, ProtoReport>;
  scanTypes: ScanType[];
  tool: string | null;
  signatures: SignatureReport[];
  invalidIcmp: string[];
  os: string | null;
  country: string | null;
  asn: number | null;
  reputation: ReputationReport[];
  firstSeen: string;
  lastSeen: string;
  blocked: { until: string | null } | null;
  /** Service-log evidence by service, when any. */
  services?: Record<string, ServiceReport>;
  [extra: string]: unknown;
}

export interface ReportSummary {
  lines: number;
  firewallLines: number;
  skipped: Record<string, number>;
  sources: number;
  dangerLevels: Record<'1' | '2' | '3' | '4' | '5', number>;
  firstSeen: string | null;
  lastSeen: string | null;
  [extra: string]: unknown;
}

/** One hour (UTC) of the report's `timeline`. */
export interface TimelineHour {
  /** Start of the hour, ISO 8601 UTC. */
  hour: string;
  /** Packets scored in that hour, indexed by the danger level (0-5) their source had at the time. */
  packets: number[];
}

/** Everything in the report but its sources (a streamed report writes this first). */
export interface ReportHead {
  version: 1;
  summary: ReportSummary;
  topPorts: Array<{ proto: string; port: number; packets: number }>;
  topSignatures: Array<{ msg: string; sid: number; dl: number; hits: number; sources: number; proto: string }>;
  logPrefixes: Record<string, number>;
  /** Packets per hour by danger level (analyze and the daemon; absent in reports of older versions). */
  timeline?: TimelineHour[];
  [extra: string]: unknown;
}

export interface Report extends ReportHead {
  sources: SourceReport[];
}
