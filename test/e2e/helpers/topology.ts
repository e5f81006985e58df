/**
 * Three network namespaces for the end-to-end blocking tests:
 *
 *   A (scanner) --veth-- B (protected host, runs tsad) --veth-- C (a client)
 *
 * IPv4 198.51.100.0/24 on A-B and 203.0.113.0/24 on C-B. IPv6: A, B and C
 * each have their own /64 inside a random 2001:db8:XXXX::/48 (so blocking
 * A's /64 never touches B's own addresses), routed on-link. B's default
 * routes point at gateway addresses nobody owns (203.0.113.254,
 * ...:c::fe) that A can spoof. B logs and rejects new TCP connections with
 * a log prefix unique to the run, at priority 10 (after tsad's chains), and
 * accepts port 8080, where a listener answers. Names carry a random tag;
 * destroy() removes everything, also after a failure.
 */
import { startListener } from '../../helpers/netns.js';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
}

export type Reach = 'open' | 'closed' | 'filtered';

const LISTENER = `require('net').createServer((c) => { c.on('error', () => {}); c.end(); }).listen(8080, '::', () => console.log('listening'));`;

export class Topology {
  readonly tag = randomBytes(3).toString('hex');
  readonly a = `e2e-${this.tag}-a`;
  readonly b = `e2e-${this.tag}-b`;
  readonly c = `e2e-${this.tag}-c`;
  /** Log prefix of B's logging rule, unique to this run (FW_MSG_SEARCH). */
  readonly prefix = `E2E${this.tag.toUpperCase()}`;
  readonly net6 = `2001:db8:${randomBytes(2).readUInt16BE(0).toString(16)}`;
  readonly v4 = { a: '198.51.100.1', b: '198.51.100.2', c: '203.0.113.1', bc: '203.0.113.2', gw: '203.0.113.254' };
  readonly v6 = { a: `${this.net6}:a::1`, aNet: `${this.net6}:a::/64`, b: `${this.net6}:b::2`, c: `${this.net6}:c::1`, bc: `${this.net6}:c::2`, gw: `${this.net6}:c::fe` };
  #children: ChildProcess[] = [];

  static async create(): Promise<Topology> {
    const t = new Topology();
    try {
      await t.#build();
    } catch (err) {
      await t.destroy();
      throw err;
    }
    return t;
  }

  #build(): Promise<void> {
    const { a, b, c, v4, v6, net6 } = this;
    for (const ns of [a, b, c]) sh('ip', ['netns', 'add', ns]);
    sh('ip', ['link', 'add', 'va', 'netns', a, 'type', 'veth', 'peer', 'name', 'vba', 'netns', b]);
    sh('ip', ['link', 'add', 'vc', 'netns', c, 'type', 'veth', 'peer', 'name', 'vbc', 'netns', b]);
    for (const [ns, dev] of [[a, 'va'], [b, 'vba'], [b, 'vbc'], [c, 'vc'], [a, 'lo'], [b, 'lo'], [c, 'lo']] as const) sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    const ip = (ns: string, ...args: string[]): string => sh('ip', ['-n', ns, ...args]);
    ip(a, 'addr', 'add', `${v4.a}/24`, 'dev', 'va');
    ip(b, 'addr', 'add', `${v4.b}/24`, 'brd', '+', 'dev', 'vba');
    ip(b, 'addr', 'add', `${v4.bc}/24`, 'brd', '+', 'dev', 'vbc');
    ip(c, 'addr', 'add', `${v4.c}/24`, 'dev', 'vc');
    ip(a, '-6', 'addr', 'add', `${v6.a}/64`, 'dev', 'va', 'nodad');
    ip(b, '-6', 'addr', 'add', `${v6.b}/64`, 'dev', 'vba', 'nodad');
    ip(b, '-6', 'addr', 'add', `${v6.bc}/64`, 'dev', 'vbc', 'nodad');
    ip(c, '-6', 'addr', 'add', `${v6.c}/64`, 'dev', 'vc', 'nodad');
    // A's and B's /64s share the A-B link.
    ip(a, '-6', 'route', 'add', `${net6}:b::/64`, 'dev', 'va');
    ip(b, '-6', 'route', 'add', `${net6}:a::/64`, 'dev', 'vba');
    ip(b, 'route', 'add', 'default', 'via', v4.gw);
    ip(b, '-6', 'route', 'add', 'default', 'via', v6.gw);
    // A spoofs the gateway's address on the A-B link: B must not drop it for arriving on the "wrong" side.
    sh('ip', ['netns', 'exec', b, 'sysctl', '-qw', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.vba.rp_filter=0']);
    this.logRules();
    return this.#listen();
  }

  /** B's own firewall: accept 8080, log and reset other new TCP connections (again after `nft flush ruleset`). */
  logRules(): void {
    sh('ip', ['netns', 'exec', this.b, 'nft', '-f', '-'], `table inet e2elog {
  chain input {
    type filter hook input priority 10; policy accept;
    iif lo accept
    ct state established,related accept
    tcp dport 8080 accept
    meta l4proto tcp counter log prefix "${this.prefix} " reject with tcp reset
  }
}
`);
  }

  #listen(): Promise<void> {
    return startListener(this.b, LISTENER, (c) => this.#children.push(c));
  }

  /** A long-running helper process inside a namespace, killed by destroy(). */
  spawnIn(ns: string, cmd: string, args: string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#children.push(child);
    return child;
  }

  exec(ns: string, cmd: string, args: string[], input?: string): string {
    return sh('ip', ['netns', 'exec', ns, cmd, ...args], input);
  }

  /** Connects from `from` to `addr`:port: open, closed (reset) or filtered (no answer in 1.5 s). */
  async reach(from: string, addr: string, port = 8080): Promise<Reach> {
    try {
      await exec('ip', ['netns', 'exec', from, 'timeout', '1.5', 'bash', '-c', `: > /dev/tcp/${addr}/${port}`]);
      return 'open';
    } catch (err) {
      return (err as { code?: number }).code === 124 ? 'filtered' : 'closed';
    }
  }

  /**
   * nmap -sS from A at `target`: the state of each port (open, closed,
   * filtered), from nmap's XML (ports in one state may be summarised as
   * extraports). `extra` adds options such as -S/-e for spoofing.
   */
  async scan(target: string, ports: string, extra: string[] = []): Promise<Record<string, number>> {
    // IPv6 through the kernel's sockets: nmap's own neighbour discovery fails once B drops A's /64 (its solicitations included).
    const six = target.includes(':') ? ['-6', '--send-ip'] : [];
    const { stdout } = await exec('ip', ['netns', 'exec', this.a, 'nmap', ...six, '-sS', '-n', '-Pn', '--max-retries', '0', '--max-rtt-timeout', '300ms', '-p', ports, '-oX', '-', ...extra, target], { maxBuffer: 16 << 20 });
    const states: Record<string, number> = {};
    for (const m of stdout.matchAll(/<extraports state="(\w+)" count="(\d+)"/g)) states[m[1] as string] = (states[m[1] as string] ?? 0) + Number(m[2]);
    for (const m of stdout.matchAll(/<port protocol="tcp" portid="\d+"><state state="(\w+)"/g)) states[m[1] as string] = (states[m[1] as string] ?? 0) + 1;
    return states;
  }

  /** One TCP SYN from `from` (an address of A) to B:port, without waiting for an answer. */
  async synFrom(from: string, to: string, port: number): Promise<void> {
    const code = `const s = require('net').connect({ host: ${JSON.stringify(to)}, port: ${port}, localAddress: ${JSON.stringify(from)} }); s.on('error', () => {}); setTimeout(() => process.exit(0), 200);`;
    await exec('ip', ['netns', 'exec', this.a, process.execPath, '-e', code]);
  }

  async destroy(): Promise<void> {
    const live = this.#children.filter((ch) => ch.exitCode === null && ch.signalCode === null);
    for (const ch of live) ch.kill('SIGTERM');
    if (live.length > 0) await new Promise((r) => setTimeout(r, 300));
    for (const ch of live) if (ch.exitCode === null && ch.signalCode === null) ch.kill('SIGKILL');
    for (const ns of [this.a, this.b, this.c]) await exec('ip', ['netns', 'del', ns]).catch(() => undefined);
  }
}
