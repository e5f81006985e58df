/**
 * Text form of the fleet status, in psad's status shape: `[+]` section
 * titles, six-space indented lines, `[NONE]` for an empty section, and
 * blocks as psad listed its auto-blocked IPs ("(N seconds remaining)").
 */
import type { FleetBlockStatus, FleetSensorStatus, FleetSourceStatus, FleetStatusReport } from './status.js';

const NONE = '        [NONE]\n';

function pad(s: string, n: number): string {
  return s.length >= n ? `${s} ` : s.padEnd(n);
}

function sensorLine(s: FleetSensorStatus): string {
  const behind = s.behind === null ? 'no position yet' : `behind ${s.behind}${s.behind >= 10_000 ? '+' : ''} decision(s)${s.lagSeconds ? ` (${s.lagSeconds} s)` : ''}`;
  return `      ${pad(s.name, 20)}last seen ${s.secondsAgo} s ago, ${behind}, queued: ${s.queued.evidence} sources/${s.queued.decisions} decisions, dropped: ${s.dropped.evidence}/${s.dropped.decisions}, applied: ${s.applied}, refused: ${s.refused}, invalid: ${s.invalid}\n`;
}

function sourceLine(s: FleetSourceStatus): string {
  const names = s.sensorNames.length > 0 ? ` (${s.sensorNames.slice(0, 8).join(', ')}${s.sensorNames.length > 8 ? ', ...' : ''})` : '';
  return `      ${pad(s.src, 17)}DL: ${s.dl}, Dsts: ${s.destinations}, Sensors: ${s.sensors}, Pkts: ${s.packets}, Ports: ${s.ports}, Local DL: ${s.maxLocalDl}${names}\n`;
}

function blockLine(b: FleetBlockStatus): string {
  const left = b.secondsLeft === null ? '(unlimited timeout)' : `(${b.secondsLeft} seconds remaining)`;
  return `      ${b.cidr} ${left} by ${b.by}${b.reason ? `: ${b.reason}` : ''}\n`;
}

export function renderFleetStatus(r: FleetStatusReport, top = 25): string {
  let out = `[+] Fleet: ${r.endpoint} (key prefix ${r.prefix}), this sensor: ${r.sensor}\n`;
  out += `    Decision stream: ${r.stream.length} entries${r.stream.head ? `, head ${r.stream.head}` : ''}\n\n`;
  out += '[+] Fleet sensors:\n';
  out += r.sensors.length === 0 ? NONE : r.sensors.map(sensorLine).join('');
  out += `\n[+] Top ${top} fleet attackers:\n`;
  out += r.sources.length === 0 ? NONE : r.sources.map(sourceLine).join('');
  out += `\n[+] Shared blocks: ${r.blocks.total}\n`;
  out += r.blocks.list.length === 0 ? NONE : r.blocks.list.map(blockLine).join('');
  if (r.blocks.total > r.blocks.list.length) out += `      ... and ${r.blocks.total - r.blocks.list.length} more\n`;
  return out;
}
