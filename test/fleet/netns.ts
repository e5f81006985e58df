/**
 * A switch namespace with a bridge, an attacker namespace and one namespace
 * per sensor, all on 198.51.100.0/24: the attacker is 198.51.100.66 towards
 * every sensor, so one shared block covers it everywhere. Each sensor
 * namespace runs a TCP listener on 8080. destroy() removes everything, also
 * after a failure.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const ip = (...args: string[]) => exec('ip', args);

export const ATTACKER = '198.51.100.66';

export { netnsUsable } from '../helpers/netns.js';

export class FleetNet {
  readonly sw: string;
  readonly att: string;
  readonly sensors: string[];
  #listeners: ChildProcess[] = [];

  private constructor(tag: string, n: number) {
    this.sw = `${tag}w`;
    this.att = `${tag}x`;
    this.sensors = Array.from({ length: n }, (_, i) => `${tag}${i + 1}`);
  }

  static async create(n: number): Promise<FleetNet> {
    const net = new FleetNet(`flt${process.pid.toString(36)}`.slice(0, 10), n);
    try {
      await net.#build();
    } catch (err) {
      await net.destroy();
      throw err;
    }
    return net;
  }

  /** Address of sensor i (0-based) on the shared link. */
  addr(i: number): string {
    return `198.51.100.${i + 1}`;
  }

  async #build(): Promise<void> {
    for (const ns of [this.sw, this.att, ...this.sensors]) await ip('netns', 'add', ns);
    await ip('-n', this.sw, 'link', 'add', 'br0', 'type', 'bridge');
    await ip('-n', this.sw, 'link', 'set', 'br0', 'up');
    const hosts: Array<[string, string]> = [[this.att, ATTACKER], ...this.sensors.map((ns, i): [string, string] => [ns, this.addr(i)])];
    for (const [k, [ns, addr]] of hosts.entries()) {
      await ip('link', 'add', `p${k}`, 'netns', this.sw, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      await ip('-n', this.sw, 'link', 'set', `p${k}`, 'master', 'br0', 'up');
      await ip('-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0');
      await ip('-n', ns, 'link', 'set', 'eth0', 'up');
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    for (const ns of this.sensors) {
      const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', "require('net').createServer((c) => c.end('hi')).listen(8080, () => console.log('up'))"], { stdio: ['ignore', 'pipe', 'ignore'] });
      this.#listeners.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout?.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`listener in ${ns} exited (${code})`)));
      });
    }
  }

  /** Can the attacker open TCP 8080 on sensor i and read the greeting? (1 s timeout: a dropped SYN is a no.) */
  async reaches(i: number): Promise<boolean> {
    const probe = `const s = require('net').connect({ host: '${this.addr(i)}', port: 8080, timeout: 1000 });
      s.on('data', (d) => { process.stdout.write(d); process.exit(0); });
      s.on('timeout', () => process.exit(2));
      s.on('error', () => process.exit(3));`;
    try {
      const { stdout } = await exec('ip', ['netns', 'exec', this.att, process.execPath, '-e', probe], { timeout: 5000 });
      return stdout.includes('hi');
    } catch {
      return false;
    }
  }

  async destroy(): Promise<void> {
    for (const c of this.#listeners) c.kill('SIGKILL');
    for (const ns of [this.att, ...this.sensors, this.sw]) await ip('netns', 'del', ns).catch(() => undefined);
  }
}
