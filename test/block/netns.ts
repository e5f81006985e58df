/**
 * Test topology for the blocking tests: three network namespaces A, B, C.
 * B is the protected host with two links (A-B and C-B), IPv4 and IPv6, a
 * default route via C (so C's address is B's gateway) and a TCP listener on
 * ports 8080 and 22. Everything created here is deleted by destroy(), also
 * when a test fails.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { netnsRunner } from '../../src/actions/block/runner.js';
import { netnsUsable, startListener } from '../helpers/netns.js';
import type { Runner } from '../../src/actions/block/types.js';

const exec = promisify(execFile);

export const IS_CI = process.env.CI === 'true';

/** Root, iproute2 and namespaces available? */
export const canUseNetns = netnsUsable;

/** Skip (locally) or fail (under CI=true) when namespaces cannot be used. */
export async function netnsAvailable(): Promise<boolean> {
  const ok = await canUseNetns();
  if (!ok && IS_CI) throw new Error('CI=true: these tests need root, iproute2 and nftables (network namespaces)');
  return ok;
}

export const ADDR = {
  a4: '198.51.100.1',
  b4a: '198.51.100.2',
  c4: '203.0.113.1',
  b4c: '203.0.113.2',
  a6: '2001:db8:a::1',
  b6a: '2001:db8:a::2',
  c6: '2001:db8:c::1',
  b6c: '2001:db8:c::2',
} as const;

export type Reach = 'open' | 'closed' | 'filtered';

const LISTENER = `
const net = require('net');
let n = 0;
for (const port of [8080, 22]) net.createServer((c) => { c.on('error', () => {}); if (port === 8080) c.end(); }).listen(port, '::', () => { if (++n === 2) console.log('listening'); });
`;

export class Topology {
  readonly a: string;
  readonly b: string;
  readonly c: string;
  readonly runB: Runner;
  #children: ChildProcess[] = [];

  private constructor(tag: string) {
    this.a = `${tag}a`;
    this.b = `${tag}b`;
    this.c = `${tag}c`;
    this.runB = netnsRunner(this.b);
  }

  static async create(area: string): Promise<Topology> {
    const tag = `blk${area}${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.slice(0, 12);
    const t = new Topology(tag);
    try {
      await t.#build();
    } catch (err) {
      await t.destroy();
      throw err;
    }
    return t;
  }

  async #build(): Promise<void> {
    const { a, b, c } = this;
    for (const ns of [a, b, c]) await exec('ip', ['netns', 'add', ns]);
    await exec('ip', ['link', 'add', 'va', 'netns', a, 'type', 'veth', 'peer', 'name', 'vba', 'netns', b]);
    await exec('ip', ['link', 'add', 'vc', 'netns', c, 'type', 'veth', 'peer', 'name', 'vbc', 'netns', b]);
    const cmds: Array<[string, string[]]> = [
      [a, ['addr', 'add', `${ADDR.a4}/24`, 'dev', 'va']],
      [a, ['-6', 'addr', 'add', `${ADDR.a6}/64`, 'dev', 'va', 'nodad']],
      [b, ['addr', 'add', `${ADDR.b4a}/24`, 'brd', '+', 'dev', 'vba']],
      [b, ['-6', 'addr', 'add', `${ADDR.b6a}/64`, 'dev', 'vba', 'nodad']],
      [b, ['addr', 'add', `${ADDR.b4c}/24`, 'brd', '+', 'dev', 'vbc']],
      [b, ['-6', 'addr', 'add', `${ADDR.b6c}/64`, 'dev', 'vbc', 'nodad']],
      [c, ['addr', 'add', `${ADDR.c4}/24`, 'dev', 'vc']],
      [c, ['-6', 'addr', 'add', `${ADDR.c6}/64`, 'dev', 'vc', 'nodad']],
    ];
    for (const ns of [a, b, c]) await exec('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    for (const [ns, dev] of [[a, 'va'], [b, 'vba'], [b, 'vbc'], [c, 'vc']] as const) await exec('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    for (const [ns, args] of cmds) await exec('ip', ['-n', ns, ...args]);
    await exec('ip', ['-n', b, 'route', 'add', 'default', 'via', ADDR.c4]);
    await exec('ip', ['-n', b, '-6', 'route', 'add', 'default', 'via', ADDR.c6]);
    await this.#listen();
  }

  async #listen(): Promise<void> {
    await startListener(this.b, LISTENER, (c) => this.#children.push(c));
  }

  /** A process living in namespace B (its /proc/PID/net is B's). */
  get pidInB(): number {
    return this.#children[0]?.pid as number;
  }

  /** Holds a TCP connection from `from` to B's port 22 open until destroy(). */
  async holdSsh(from: string, addr: string): Promise<void> {
    const code = `const s=require('net').connect(22, ${JSON.stringify(addr)}, () => console.log('up')); s.on('error', (e) => { console.error(e.message); process.exit(1); });`;
    const child = spawn('ip', ['netns', 'exec', from, process.execPath, '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.#children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', () => resolve());
      child.on('exit', (c) => reject(new Error(`ssh-like client exited with ${c}`)));
    });
  }

  /** Connects from namespace `from` to `addr`:8080: open (connected), closed (refused/rejected) or filtered (timed out). */
  async reach(from: string, addr: string, port = 8080): Promise<Reach> {
    try {
      await exec('ip', ['netns', 'exec', from, 'timeout', '1.5', 'bash', '-c', `: > /dev/tcp/${addr}/${port}`]);
      return 'open';
    } catch (err) {
      return (err as { code?: number }).code === 124 ? 'filtered' : 'closed';
    }
  }

  /** Runs a command in B and returns stdout. */
  async inB(cmd: string, args: string[]): Promise<string> {
    return (await this.runB(cmd, args)).stdout;
  }

  async destroy(): Promise<void> {
    for (const ch of this.#children) if (ch.exitCode === null) ch.kill('SIGKILL');
    for (const ns of [this.a, this.b, this.c]) await exec('ip', ['netns', 'del', ns]).catch(() => undefined);
  }
}
