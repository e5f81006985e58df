/**
 * psad's danger-level ladders (assign_danger_level), as pure functions of
 * one destination's counters and the source's destination count.
 *
 * For each destination of a source:
 *   - skip it when packets < DANGER_LEVEL1 and destinations < DL1_UNIQUE_HOSTS;
 *   - it qualifies when its port spread >= PORT_RANGE_SCAN_THRESHOLD, or its
 *     protocols >= PROTOCOL_SCAN_THRESHOLD, or destinations >= DL1_UNIQUE_HOSTS;
 *   - a qualifying destination raises the level to the packet ladder of its
 *     packet count and to the sweep ladder of the destination count.
 * The port spread is highest minus lowest TCP/UDP/UDP-Lite port, or the
 * packet count when the destination saw no port (ICMP and other protocols).
 *
 * Fixed trap: psad's DL1_UNIQUE_HOSTS 0 made every destination qualify, so
 * every source was level 1 from its first packet; here 0 turns the
 * destination count off (no sweep ladder, no sweep qualification).
 */
import type { Config } from '../config/keys/index.js';

export interface DangerRules {
  /** DANGER_LEVEL1..5. */
  readonly packets: readonly [number, number, number, number, number];
  /** DL1..DL5_UNIQUE_HOSTS. */
  readonly hosts: readonly [number, number, number, number, number];
  readonly portRangeScan: number;
  readonly portRangeSweep: number;
  readonly protocolScan: number;
  /** False when DL1_UNIQUE_HOSTS is 0. */
  readonly sweeps: boolean;
  /** SWEEP_MIN_DESTINATIONS (0: no SWEEP label). */
  readonly sweepLabel: number;
}

export function dangerRules(cfg: Config): DangerRules {
  return {
    packets: [cfg.DANGER_LEVEL1, cfg.DANGER_LEVEL2, cfg.DANGER_LEVEL3, cfg.DANGER_LEVEL4, cfg.DANGER_LEVEL5],
    hosts: [cfg.DL1_UNIQUE_HOSTS, cfg.DL2_UNIQUE_HOSTS, cfg.DL3_UNIQUE_HOSTS, cfg.DL4_UNIQUE_HOSTS, cfg.DL5_UNIQUE_HOSTS],
    portRangeScan: cfg.PORT_RANGE_SCAN_THRESHOLD,
    portRangeSweep: cfg.PORT_RANGE_SWEEP_THRESHOLD,
    protocolScan: cfg.PROTOCOL_SCAN_THRESHOLD,
    sweeps: cfg.DL1_UNIQUE_HOSTS > 0,
    sweepLabel: cfg.SWEEP_MIN_DESTINATIONS,
  };
}

/** Level for a qualifying destination's packet count (at least 1). */
export function packetLadder(r: DangerRules, packets: number): number {
  const t = r.packets;
  if (packets < t[1]) return 1;
  if (packets < t[2]) return 2;
  if (packets < t[3]) return 3;
  if (packets < t[4]) return 4;
  return 5;
}

/** Level for the destination count (at least 1), as psad's second ladder. */
export function sweepLadder(r: DangerRules, dsts: number): number {
  const h = r.hosts;
  if (dsts < h[1]) return 1;
  if (dsts < h[2]) return 2;
  if (dsts < h[3]) return 3;
  if (dsts < h[4]) return 4;
  return 5;
}

/** The many-destinations condition (false when sweep detection is off). */
export function manyDestinations(r: DangerRules, dsts: number): boolean {
  return r.sweeps && dsts >= r.hosts[0];
}

/** psad's port spread: max - min port, or the packet count when no port was seen. */
export function portSpread(packets: number, portMin: number, portMax: number): number {
  return portMax > 0 ? portMax - portMin : packets;
}

/**
 * Whether one destination qualifies on its own counters (port spread or
 * protocol count, and enough packets), i.e. without the destination count.
 */
export function qualifiesAlone(r: DangerRules, packets: number, spread: number, protocols: number): boolean {
  return packets >= r.packets[0] && (spread >= r.portRangeScan || protocols >= r.protocolScan);
}

/** The level one destination gives its source: 0 when it does not qualify. */
export function destinationLevel(r: DangerRules, packets: number, spread: number, protocols: number, dsts: number): number {
  const many = manyDestinations(r, dsts);
  if (packets < r.packets[0] && !many) return 0;
  if (!many && spread < r.portRangeScan && protocols < r.protocolScan) return 0;
  const p = packetLadder(r, packets);
  if (!r.sweeps) return p;
  const s = sweepLadder(r, dsts);
  return p > s ? p : s;
}

/**
 * Sweep (scan type SWEEP): at least SWEEP_MIN_DESTINATIONS destinations in
 * the window, most of them (and at least that many) probed on a single port
 * (spread == PORT_RANGE_SWEEP_THRESHOLD) or pinged. psad marked port sweeps
 * per destination (from DL1_UNIQUE_HOSTS destinations) but never showed it:
 * the alert read a field nobody set. Here it is judged on destinations whose
 * probing is over (when they age out, when the episode ends, at report
 * time), so the first packets of a multi-port scan across many hosts are
 * not taken for a sweep.
 */
export function isSweep(r: DangerRules, active: number, sweepLike: number): boolean {
  const min = r.sweepLabel;
  return min > 0 && active >= min && sweepLike >= min && sweepLike * 2 >= active;
}
