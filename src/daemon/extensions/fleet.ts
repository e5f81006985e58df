/**
 * Fleet mode in the daemon (FLEET_REDIS_URL set): every packet's evidence
 * goes to the fleet's queue (sent once a FLEET_PUBLISH_INTERVAL), a fleet
 * level rise raises the source here, blocks decided by other sensors are
 * applied through the blocking extension's BlockManager (under this host's
 * never-block rules), and blocks made here - by `tsad block` through the
 * control socket or automatically - are shared. The decision stream
 * position is saved in state.json, so a restarted sensor catches up from
 * where it stopped, and so are the decisions and evidence still waiting for
 * Redis, so a restart during an outage (SIGTERM or kill -9) loses none of
 * them. Without FLEET_REDIS_URL the extension does nothing and the Redis
 * client is never loaded.
 */
import type { Config } from '../../config/keys/index.js';
import type { SourceState } from '../../detect/index.js';
import { applyFleetDecisions, openFleet, shareAutoBlocks, shareBlocks, type ApplyKind, type Fleet, type FleetDecision, type Verdict } from '../../fleet/index.js';
import type { Packet } from '../../model/packet.js';
import type { DaemonExtension, ExtensionContext, ExtensionFactory, MetricSample } from '../hooks.js';
import type { ExtensionHub } from './hub.js';

export const FLEET_STATE = 'fleet';

/** What a fleet-off daemon gets: no per-packet call; a saved stream position is kept for when fleet mode returns. */
function off(ctx: ExtensionContext): DaemonExtension {
  const saved = ctx.saved(FLEET_STATE);
  return saved === undefined ? { name: FLEET_STATE } : { name: FLEET_STATE, saveState: () => saved };
}

export function fleetExtension(hub: ExtensionHub): ExtensionFactory {
  return async (ctx) => {
    if (ctx.cfg.FLEET_REDIS_URL === '') return off(ctx);
    const ext = new FleetExtension(ctx, hub);
    await ext.open();
    return ext;
  };
}

/** `proto/port` strings, made once per pair: the per-packet path allocates none after warm-up. */
class PortNames {
  readonly #byProto = new Map<string, Array<string | undefined>>();

  name(proto: string, port: number): string {
    let names = this.#byProto.get(proto);
    if (names === undefined) this.#byProto.set(proto, (names = []));
    return (names[port] ??= `${proto}/${port}`);
  }
}

interface SavedFleet {
  position: string | null;
  /** This sensor's decisions and evidence that had not reached Redis (FleetDecisions.queued(), FleetEvidence.queued()). */
  decisions: unknown[];
  evidence: unknown[];
}

function savedFleet(saved: unknown): SavedFleet {
  const o = typeof saved === 'object' && saved !== null ? (saved as Record<string, unknown>) : {};
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  return { position: typeof o.position === 'string' ? o.position : null, decisions: list(o.decisions), evidence: list(o.evidence) };
}

class FleetExtension implements DaemonExtension {
  readonly name = FLEET_STATE;
  #fleet: Fleet | null = null;
  readonly #ports = new PortNames();
  readonly #saved: SavedFleet;
  #raised = 0;

  constructor(private readonly ctx: ExtensionContext, private readonly hub: ExtensionHub) {
    this.#saved = savedFleet(ctx.saved(FLEET_STATE));
  }

  async open(): Promise<void> {
    const { ctx } = this;
    const fleet = await openFleet(ctx.cfg, {
      position: this.#saved.position,
      onDecisions: (batch, kind) => this.#apply(batch, kind),
      onLevelRise: (l) => {
        this.#raised++;
        ctx.raise(l.src, l.dl, `fleet: ${l.destinations} destinations seen by ${l.sensors} sensors`);
      },
      log: (level, msg) => ctx.log(level, msg),
    });
    if (fleet === null) return;
    this.#fleet = fleet;
    const decisions = fleet.decisions.requeue(this.#saved.decisions);
    const evidence = fleet.evidence.requeue(this.#saved.evidence);
    this.hub.shareBlocks({
      transport: (t) => shareBlocks(t, fleet.decisions),
      autoBlocked: (results, dlOf) => {
        shareAutoBlocks(fleet.decisions, results, dlOf);
        ctx.stateChanged(); // the queued decisions go into the next snapshot
      },
    });
    const pos = this.#saved.position;
    const queued = decisions + evidence > 0 ? `; ${decisions} decision(s) and ${evidence} source(s) of evidence saved while unsent are queued again` : '';
    ctx.log('info', `fleet: ${fleet.options.endpoint.display} as sensor ${fleet.sensor}${pos === null ? ', new sensor' : `, resuming after decision ${pos}`}${queued}`);
  }

  /**
   * Other sensors' decisions, through the BlockManager in force; refused (and
   * counted) while blocking is off here. Under --dry-run the manager records
   * them as dry-run blocks (shown by `tsad blocks`) and runs no firewall command.
   */
  async #apply(batch: readonly FleetDecision[], kind: ApplyKind): Promise<readonly Verdict[]> {
    const m = await this.hub.blockManager();
    if (m === null) return batch.map(() => ({ accepted: false, reason: 'automatic blocking (ENABLE_AUTO_IDS) is off on this sensor' }));
    return applyFleetDecisions(m, batch, kind);
  }

  onPacket(p: Packet, s: SourceState): void {
    const f = this.#fleet;
    if (f === null) return;
    f.evidence.note(s.key, p.dst, p.dport >= 0 ? this.#ports.name(p.proto, p.dport) : null, s.packets, s.dl, s.dsts.distinct(), p.ts);
  }

  saveState(): unknown {
    const f = this.#fleet;
    if (f === null) return this.#saved;
    return { position: f.decisions.position() ?? this.#saved.position, decisions: f.decisions.queued(), evidence: f.evidence.queued() } satisfies SavedFleet;
  }

  async reload(cfg: Config): Promise<void> {
    const changed = Object.keys(cfg).filter((k) => k.startsWith('FLEET_') && JSON.stringify(cfg[k as keyof Config]) !== JSON.stringify(this.ctx.cfg[k as keyof Config]));
    if (changed.length > 0) this.ctx.log('warn', `fleet: ${changed.join(', ')} take effect at the next start`);
  }

  statusLines(): string[] {
    const f = this.#fleet;
    if (f === null) return [];
    const s = f.stats();
    return [
      `Fleet: ${f.options.endpoint.display} as ${f.sensor}, ${s.connected ? 'connected' : 'NOT CONNECTED'}; queued ${s.evidence.queued} source(s), ${s.decisions.queued} decision(s); ` +
        `published ${s.evidence.published} evidence, ${s.decisions.published} decision(s); applied ${s.decisions.applied}, refused ${s.decisions.refused}, invalid ${s.decisions.invalid}; ${this.#raised} fleet level rise(s)`,
    ];
  }

  metrics(): MetricSample[] {
    const f = this.#fleet;
    if (f === null) return [];
    const s = f.stats();
    return [
      { name: 'tsad_fleet_connected', help: 'Fleet Redis reachable (1) or not (0).', type: 'gauge', value: s.connected ? 1 : 0 },
      { name: 'tsad_fleet_evidence_published_total', help: 'Source evidence updates sent to the fleet.', type: 'counter', value: s.evidence.published },
      { name: 'tsad_fleet_evidence_queued', help: 'Sources with evidence waiting to be sent.', type: 'gauge', value: s.evidence.queued },
      { name: 'tsad_fleet_decisions_published_total', help: 'Block decisions of this sensor shared with the fleet.', type: 'counter', value: s.decisions.published },
      { name: 'tsad_fleet_decisions_queued', help: 'Decisions waiting to be shared.', type: 'gauge', value: s.decisions.queued },
      { name: 'tsad_fleet_decisions_applied_total', help: 'Shared decisions of other sensors applied here.', type: 'counter', value: s.decisions.applied },
      { name: 'tsad_fleet_decisions_refused_total', help: 'Shared decisions refused here (never-block rules, blocking off).', type: 'counter', value: s.decisions.refused },
      { name: 'tsad_fleet_dropped_total', help: 'Queued evidence sources and decisions dropped while Redis was unreachable.', type: 'counter', value: s.evidence.dropped + s.decisions.dropped },
      { name: 'tsad_fleet_level_rises_total', help: 'Sources raised here by their fleet level.', type: 'counter', value: this.#raised },
    ];
  }

  async stop(): Promise<void> {
    const f = this.#fleet;
    if (f === null) return;
    this.hub.shareBlocks(null);
    await f.close();
  }
}
