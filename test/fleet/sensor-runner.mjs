// One fleet sensor as its own process, for the fleet tests: what the daemon
// will do with fleet mode, minus the packet pipeline. It runs the built code
// (dist/, like the CLI tests), reads commands as JSON lines on stdin and
// writes events as JSON lines on stdout.
//
//   node sensor-runner.mjs '{"conf":"FLEET_REDIS_URL redis://...;\n...","state":"/tmp/x.json","refuse":["198.51.100.0/28"]}'
//
// Commands: {"seq":1,"cmd":"publish","items":[EvidenceItem...]}, flush, block {cidr,timeoutSec,dl,reason},
// unblock {cidr}, level {src}, stats, blocks, exit. Each gets {"ev":"reply","seq":N,...}.
// Events: ready, applied {id,op,cidr,by,kind,accepted,reason,t}, rise {src,dl,...,previous}.
//
// The state file plays the daemon's state.json: the block records, the ids
// applied (with counts, so a test sees a decision applied twice) and the
// stream position, written atomically together after every handled batch.
//
// With "netns":"NAME" the sensor blocks for real, as the daemon will: a
// BlockManager on the configured backends run inside that namespace, its
// NeverBlock rules, applyFleetDecisions() for incoming decisions and
// shareBlocks() around the control transport for `block`/`unblock`.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const dist = new URL('../../dist/', import.meta.url);
const { openFleet } = await import(new URL('fleet/index.js', dist).href);
const { buildConfig, parseConfigText } = await import(new URL('config/load.js', dist).href);
const { parseCidr, cidrContains } = await import(new URL('net/address.js', dist).href);

const opts = JSON.parse(process.argv[2] ?? '{}');
const mod = (p) => import(new URL(p, dist).href);
const { applyFleetDecisions, shareBlocks } = await mod('fleet/apply.js');
const cfg = buildConfig(parseConfigText(opts.conf, 'runner.conf'), 'runner.conf');
const refuse = (opts.refuse ?? []).map((c) => parseCidr(c));
const saved = opts.state && existsSync(opts.state) ? JSON.parse(readFileSync(opts.state, 'utf8')) : {};
const state = { position: saved.position ?? null, blocks: saved.blocks ?? {}, applied: saved.applied ?? {}, fromFleet: saved.fromFleet ?? {} };

const emit = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

function save() {
  if (!opts.state) return;
  writeFileSync(`${opts.state}.tmp`, JSON.stringify(state));
  renameSync(`${opts.state}.tmp`, opts.state);
}

// The never-block rule of this host: refuse anything inside a listed network.
function refused(cidr) {
  const c = parseCidr(cidr);
  return refuse.some((r) => r.family === c.family && r.len <= c.len && cidrContains(r, c.bytes));
}

/** The real blocking stack inside `ns` (nothing of it is fleet code). */
async function blockingIn(ns) {
  const { BlockManager } = await mod('actions/block/manager.js');
  const { NeverBlock } = await mod('actions/block/never-block.js');
  const { createBackends } = await mod('actions/block/backends/index.js');
  const { backendContext, netnsRunner } = await mod('actions/block/runner.js');
  const { policyFromConfig } = await mod('actions/block/policy.js');
  const run = netnsRunner(ns);
  const guard = await NeverBlock.discover(cfg, { run, resolvConf: '/dev/null' });
  const m = new BlockManager({ backends: createBackends(cfg, backendContext({ run })), policy: policyFromConfig(cfg), guard });
  await m.reconcile();
  return m;
}

const manager = opts.netns ? await blockingIn(opts.netns) : null;

async function onDecisions(batch, kind) {
  const t = Date.now();
  if (manager) {
    const verdicts = await applyFleetDecisions(manager, batch, kind);
    batch.forEach((d, i) => {
      state.applied[d.id] = (state.applied[d.id] ?? 0) + 1;
      emit({ ev: 'applied', id: d.id, op: d.op, cidr: d.cidr, by: d.by, expiresAt: d.expiresAt, kind, accepted: verdicts[i].accepted, reason: verdicts[i].reason, t });
    });
    return verdicts;
  }
  const verdicts = batch.map((d) => {
    state.applied[d.id] = (state.applied[d.id] ?? 0) + 1;
    const no = d.op === 'block' && refused(d.cidr);
    if (!no && d.op === 'block') {
      state.blocks[d.cidr] = d.expiresAt;
      state.fromFleet[d.cidr] = true;
    } else if (d.op === 'unblock') {
      delete state.blocks[d.cidr];
      delete state.fromFleet[d.cidr];
    }
    emit({ ev: 'applied', id: d.id, op: d.op, cidr: d.cidr, by: d.by, expiresAt: d.expiresAt, kind, accepted: !no, t });
    return no ? { accepted: false, reason: 'never-block rule' } : { accepted: true };
  });
  // A snapshot is the whole live set: fleet blocks missing from it were lifted meanwhile.
  if (kind === 'snapshot') {
    const live = new Set(batch.map((d) => d.cidr));
    for (const cidr of Object.keys(state.fromFleet)) {
      if (live.has(cidr)) continue;
      delete state.fromFleet[cidr];
      delete state.blocks[cidr];
      emit({ ev: 'lifted', cidr, t });
    }
  }
  return verdicts;
}

const fleet = await openFleet(cfg, {
  position: state.position,
  onDecisions,
  onPosition: (pos) => {
    state.position = pos;
    save();
  },
  onLevelRise: (l, previous) => emit({ ev: 'rise', src: l.src, dl: l.dl, destinations: l.destinations, sensors: l.sensors, previous }),
  log: (level, msg) => process.stderr.write(`${level}: ${msg}\n`),
});

const { managerTransport } = await mod('actions/block/control.js');
const transport = manager ? shareBlocks(managerTransport(manager), fleet.decisions) : null;

const handlers = {
  publish: (m) => (fleet.evidence.publish(m.items), {}),
  flush: async () => ({ evidence: await fleet.evidence.flush(), decisions: await fleet.decisions.flush() }),
  block: async (m) => {
    if (transport) {
      const r = await transport.block({ target: m.cidr, timeoutSec: m.timeoutSec, reason: m.reason ?? 'manual' });
      return { ok: r.ok, t: Date.now() };
    }
    const expiresAt = m.timeoutSec ? Date.now() + m.timeoutSec * 1000 : null;
    state.blocks[m.cidr] = expiresAt;
    save();
    return { id: fleet.decisions.block({ cidr: m.cidr, expiresAt, dl: m.dl ?? null, reason: m.reason ?? 'manual' }).id, t: Date.now() };
  },
  unblock: async (m) => {
    if (transport) return { removed: (await transport.unblock(m.cidr)).removed, t: Date.now() };
    delete state.blocks[m.cidr];
    save();
    return { id: fleet.decisions.unblock(m.cidr).id, t: Date.now() };
  },
  level: async (m) => ({ level: await fleet.evidence.fleetLevel(m.src) }),
  stats: () => ({ stats: fleet.stats(), connected: fleet.connected() }),
  blocks: () => ({ blocks: manager ? Object.fromEntries(manager.records().map((r) => [r.cidr, r.expiresAt])) : state.blocks, applied: state.applied, position: fleet.decisions.position() }),
  exit: async () => {
    await fleet.close();
    save();
    return {};
  },
};

emit({ ev: 'ready', sensor: fleet.sensor, pid: process.pid });
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue;
  const m = JSON.parse(line);
  try {
    emit({ ev: 'reply', seq: m.seq, ...(await handlers[m.cmd](m)) });
  } catch (err) {
    emit({ ev: 'reply', seq: m.seq, error: String(err?.message ?? err) });
  }
  if (m.cmd === 'exit') process.exit(0);
}
