/** The daemon's metric samples: lines, skips, levels, sources, saves, and whatever extensions add. */
import type { ScanTracker } from '../detect/index.js';
import type { SaveHealth } from './retrying-save.js';
import type { DaemonExtension, MetricSample } from './hooks.js';
import type { Pipeline } from './pipeline.js';
import type { SupervisedSource } from './source-supervisor.js';

export interface MetricsView {
  pipeline: Pipeline;
  tracker: ScanTracker;
  sources: readonly SupervisedSource[];
  extensions: readonly DaemonExtension[];
  levelChanges: number;
  save: SaveHealth;
}

function counter(name: string, help: string, value: number, labels?: Record<string, string>): MetricSample {
  return { name, help, type: 'counter', value, labels };
}

function gauge(name: string, help: string, value: number, labels?: Record<string, string>): MetricSample {
  return { name, help, type: 'gauge', value, labels };
}

function sourceSamples(sources: readonly SupervisedSource[], now: number): MetricSample[] {
  const out: MetricSample[] = [];
  for (const s of sources) {
    const st = s.status();
    const l = { source: s.name };
    out.push(counter('tsad_source_lines_total', 'Lines read from each source.', s.lines, l));
    out.push(gauge('tsad_source_up', '1 while the source is reading, 0 while it waits to restart or has ended.', st.state === 'running' ? 1 : 0, l));
    out.push(counter('tsad_source_restarts_total', 'Restarts of each source after a failure.', st.restarts, l));
    out.push(gauge('tsad_source_idle_seconds', 'Seconds since the source last delivered a line (since start when none).', s.lastLineAt > 0 ? (now - s.lastLineAt) / 1000 : -1, l));
    if (st.stats.bytesBehind !== undefined) out.push(gauge('tsad_source_bytes_behind', 'Bytes of a followed file not read yet.', st.stats.bytesBehind, l));
    if (st.stats.lost !== undefined) out.push(counter('tsad_kmsg_lost_records_total', 'Kernel log records overwritten before they could be read.', st.stats.lost, l));
  }
  return out;
}

export function collectMetrics(v: MetricsView, now = Date.now()): MetricSample[] {
  const p = v.pipeline;
  const out: MetricSample[] = [
    counter('tsad_lines_total', 'Lines read from all sources.', p.lines),
    counter('tsad_firewall_lines_total', 'Lines that were netfilter log lines.', p.firewallLines),
    counter('tsad_packets_scored_total', 'Firewall lines parsed and scored.', p.packets),
    counter('tsad_level_changes_total', 'Danger level increases.', v.levelChanges),
    counter('tsad_state_saves_total', 'State snapshots written.', v.save.saves),
    gauge('tsad_state_save_seconds', 'Duration of the last state snapshot write.', v.save.lastSaveMs / 1000),
    counter('tsad_state_save_failures_total', 'State snapshot writes that failed (disk full, read-only, ...).', v.save.failures),
    gauge('tsad_state_save_failing', 'Failed state snapshot writes since the last one that succeeded (0: saved).', v.save.failing),
    gauge('tsad_state_last_save_timestamp_seconds', 'Unix time of the last state snapshot written (0: none since start).', (v.save.lastOkAt ?? 0) / 1000),
    gauge('tsad_event_lag_seconds', 'Wall clock minus the event time of the newest scored packet.', Number.isFinite(p.lastSeen) ? (now - p.lastSeen) / 1000 : 0),
  ];
  for (const [reason, n] of Object.entries(p.skipped)) out.push(counter('tsad_lines_skipped_total', 'Firewall lines or packets not scored, by reason.', n, { reason }));
  const levels = [0, 0, 0, 0, 0, 0];
  for (const s of v.tracker.sources()) levels[Math.min(5, Math.max(0, s.dl))]!++;
  levels.forEach((n, dl) => out.push(gauge('tsad_sources', 'Tracked sources by current danger level.', n, { level: String(dl) })));
  out.push(...sourceSamples(v.sources, now));
  for (const e of v.extensions) out.push(...(e.metrics?.() ?? []));
  return out;
}
