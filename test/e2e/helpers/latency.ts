/**
 * Measures how long a block takes from the kernel log line that earned it
 * to the element in the kernel set: one process reads /dev/kmsg (records
 * with the run's log prefix), another follows `nft monitor` in B; both
 * stamp each line with CLOCK_MONOTONIC as it arrives, so the difference of
 * the two stamps is the latency as an outside observer sees it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from './daemon.js';
import type { Topology } from './topology.js';

const KMSG_TAP = fileURLToPath(new URL('./kmsg-tap.mjs', import.meta.url));
const STAMP = fileURLToPath(new URL('./stamp.mjs', import.meta.url));

interface Stamped {
  ns: bigint;
  text: string;
}

function collect(child: ChildProcess, into: Stamped[], ready?: () => void): void {
  let buf = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      nl = buf.indexOf('\n');
      if (line.startsWith('ready ')) {
        ready?.();
        continue;
      }
      const sp = line.indexOf(' ');
      into.push({ ns: BigInt(line.slice(0, sp)), text: line.slice(sp + 1) });
    }
  });
}

export class LatencyTaps {
  readonly kmsg: Stamped[] = [];
  readonly monitor: Stamped[] = [];

  private constructor(private readonly children: ChildProcess[]) {}

  /** Starts both readers; resolves once the kmsg reader has skipped the old records. */
  static async start(t: Topology): Promise<LatencyTaps> {
    let kmsgReady = false;
    const k = spawn(process.execPath, [KMSG_TAP, t.prefix], { stdio: ['ignore', 'pipe', 'inherit'] });
    const m = t.spawnIn(t.b, process.execPath, [STAMP, 'stdbuf', '-oL', 'nft', 'monitor']);
    const taps = new LatencyTaps([k, m]);
    collect(k, taps.kmsg, () => (kmsgReady = true));
    collect(m, taps.monitor);
    await waitFor('the kmsg reader', () => kmsgReady);
    // nft monitor prints nothing when it has subscribed: a throw-away table it reports shows that it has.
    await waitFor('nft monitor to report a probe table', () => {
      t.exec(t.b, 'nft', ['add table inet tsad_monitor_probe; delete table inet tsad_monitor_probe']);
      return taps.monitor.some((s) => s.text.includes('tsad_monitor_probe'));
    }, { every: 100 });
    return taps;
  }

  /**
   * Milliseconds from the first kernel line with `SRC=addr ` to the first
   * `add element` of `addr` into `set` (waits for both, with no clock limit).
   */
  async latency(addr: string, set: string): Promise<number> {
    const line = await waitFor(`a kernel line from ${addr}`, () => this.kmsg.find((s) => s.text.includes(` SRC=${addr} `)));
    const add = await waitFor(`"add element" of ${addr} to ${set}`, () => this.monitor.find((s) => s.text.includes(`add element inet tsad ${set} { ${addr} `)));
    return Number(add.ns - line.ns) / 1e6;
  }

  stop(): void {
    // SIGTERM: the stamper passes it on to `nft monitor`.
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  }
}

export function summary(ms: readonly number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number): string => (s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))] ?? 0).toFixed(1);
  return `n=${s.length} min ${at(0)} ms, median ${at(0.5)} ms, max ${at(1)} ms`;
}
