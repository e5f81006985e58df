/** Fleet test helpers: a private redis-server, sensor processes, and prerequisites. */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { onTestFailed } from 'vitest';
import { haveRedisServer } from '../../src/fleet/local-server.js';
import { openFleet, type Fleet } from '../../src/fleet/fleet.js';
import type { FleetDecision } from '../../src/fleet/decision.js';
import { buildConfig, parseConfigText } from '../../src/config/load.js';
import { waitFor } from '../helpers/wait.js';

const execFileP = promisify(execFile);

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RUNNER = fileURLToPath(new URL('./sensor-runner.mjs', import.meta.url));
/**
 * What a failing test was still waiting for (a wait has no clock limit of its
 * own: vitest's test timeout ends a hang, and this says what hung). Outside a
 * test (a beforeAll) vitest has no test to attach it to.
 */
function explainIfFailed(what: () => string): void {
  try {
    onTestFailed(() => console.error(what()));
  } catch {
    // not inside a test
  }
}

/** redis-server is a prerequisite: skip without it on a laptop, fail under CI=true. */
export function requireRedis(): boolean {
  if (haveRedisServer() && existsSync('/usr/bin/redis-cli')) return true;
  if (process.env.CI === 'true') throw new Error('/usr/bin/redis-server or redis-cli is missing (Debian packages redis-server, redis-tools), and CI=true forbids skipping');
  return false;
}

/** Sensor processes run dist/: fail loudly when it is missing or older than src/fleet. */
export function requireFreshDist(): void {
  const src = join(ROOT, 'src/fleet');
  for (const f of readdirSync(src).filter((n) => n.endsWith('.ts'))) {
    const js = join(ROOT, 'dist/fleet', f.replace(/\.ts$/, '.js'));
    if (!existsSync(js) || statSync(js).mtimeMs < statSync(join(src, f)).mtimeMs) throw new Error(`${js} is missing or older than src/fleet/${f}: run "npm run build" first`);
  }
}

/** Config text for a sensor (psad syntax). */
export function sensorConf(url: string, name: string, extra: Record<string, string | number> = {}): string {
  const lines = [`FLEET_REDIS_URL ${url};`, `FLEET_SENSOR_NAME ${name};`, ...Object.entries(extra).map(([k, v]) => `${k} ${v};`)];
  return `${lines.join('\n')}\n`;
}

export type Event = Record<string, unknown> & { ev: string };

export class Sensor {
  readonly events: Event[] = [];
  stderr = '';
  #seq = 0;
  #waiters: Array<{ pred: (e: Event) => boolean; resolve: (e: Event) => void; reject: (err: Error) => void }> = [];

  private constructor(readonly name: string, private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const e = JSON.parse(line) as Event;
      this.events.push(e);
      this.#waiters = this.#waiters.filter((w) => (w.pred(e) ? (w.resolve(e), false) : true));
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    // A sensor that exits answers nothing more: its waits fail now, with what it said.
    child.once('exit', (code) => {
      for (const w of this.#waiters) w.reject(new Error(`sensor ${name} exited (${code}) while awaited; stderr: ${this.stderr}`));
      this.#waiters = [];
    });
    // A sensor killed on purpose (kill()) makes a later write fail with EPIPE; its exit is reported instead.
    child.stdin.on('error', () => undefined);
  }

  /** Starts a sensor process and waits for its `ready` event. */
  static async start(name: string, conf: string, opts: { state?: string; refuse?: string[]; netns?: string } = {}): Promise<Sensor> {
    const child = spawn(process.execPath, [RUNNER, JSON.stringify({ conf, ...opts })], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const s = new Sensor(name, child);
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`sensor ${name} exited (${code}): ${s.stderr}`))));
    exited.catch(() => undefined);
    await Promise.race([s.waitFor((e) => e.ev === 'ready'), exited]);
    return s;
  }

  /**
   * Resolves with the first event (already seen or future) matching `pred`;
   * rejects when the sensor exits first. No clock limit: how fast an event
   * comes is for src/bench/fleet-bench.ts, and a hang is ended by vitest's
   * test timeout (the failure then names the sensor and its stderr).
   */
  waitFor(pred: (e: Event) => boolean): Promise<Event> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.reject(new Error(`sensor ${this.name} has exited; stderr: ${this.stderr}`));
    let done = false;
    explainIfFailed(() => (done ? '' : `sensor ${this.name}: still waiting for an event; stderr: ${this.stderr}`));
    return new Promise((resolve, reject) => {
      this.#waiters.push({ pred, resolve: (e) => ((done = true), resolve(e)), reject });
    });
  }

  async send(cmd: string, args: Record<string, unknown> = {}): Promise<Event> {
    const seq = ++this.#seq;
    const reply = this.waitFor((e) => e.ev === 'reply' && e.seq === seq);
    this.child.stdin.write(`${JSON.stringify({ seq, cmd, ...args })}\n`);
    const r = await reply;
    if (typeof r.error === 'string') throw new Error(`sensor ${this.name}: ${cmd}: ${r.error}`);
    return r;
  }

  applied(pred: (e: Event) => boolean = () => true): Event[] {
    return this.events.filter((e) => e.ev === 'applied' && pred(e));
  }

  /** Clean exit (final send, state saved); killed when it takes longer than 10 s. */
  async exit(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    const late = setTimeout(() => this.kill(), 10_000);
    this.child.stdin.write(`${JSON.stringify({ seq: 0, cmd: 'exit' })}\n`);
    await gone;
    clearTimeout(late);
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A sensor inside the test process (for the topology tests): records what it was handed. */
export interface TestFleet {
  fleet: Fleet;
  got: Array<FleetDecision & { kind: string }>;
  log: string[];
}

export async function openTestFleet(conf: string): Promise<TestFleet> {
  const got: TestFleet['got'] = [];
  const log: string[] = [];
  const cfg = buildConfig(parseConfigText(conf, 'test.conf'), 'test.conf');
  const fleet = await openFleet(cfg, {
    onDecisions: async (batch, kind) => {
      got.push(...batch.map((d) => ({ ...d, kind })));
      return batch.map(() => ({ accepted: true as const }));
    },
    log: (level, msg) => void log.push(`${level}: ${msg}`),
  });
  if (fleet === null) throw new Error('fleet mode is off');
  return { fleet, got, log };
}

/**
 * Polls `fn` until it returns true (an error counts as not yet: servers
 * restart under it). No clock limit: vitest's test timeout ends a hang, and
 * the failure says what was awaited and the last error.
 */
export async function until(what: string, fn: () => boolean | Promise<boolean>): Promise<void> {
  let last = '';
  await waitFor(() => `${what}${last}`, async () => {
    try {
      return await fn();
    } catch (err) {
      last = ` (last error: ${(err as Error).message})`;
      return false;
    }
  }, { every: 50 });
}

/** redis-cli with arguments (no shell); stdout. */
export async function redisCli(args: string[]): Promise<string> {
  const { stdout } = await execFileP('/usr/bin/redis-cli', args, { timeout: 30_000 });
  return stdout;
}
