/**
 * Two network namespaces joined by a veth pair (A scans, B is protected), for
 * loading the example firewall rulesets and watching what they log. Names
 * carry the pid and a random part so parallel runs do not clash; destroy()
 * deletes everything, also after a failure.
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export const IS_CI = process.env.CI === 'true';

/** Root, iproute2, nft, iptables and nmap available? Under CI=true a missing prerequisite is an error. */
export async function netnsAvailable(): Promise<boolean> {
  let ok = process.getuid?.() === 0;
  if (ok) {
    try {
      for (const [cmd, arg] of [['ip', '-V'], ['nft', '--version'], ['iptables-restore', '--version'], ['ip6tables-restore', '--version'], ['nmap', '--version']] as const) await exec(cmd, [arg]);
    } catch {
      ok = false;
    }
  }
  if (!ok && IS_CI) throw new Error('CI=true: the firewall ruleset tests need root, iproute2, nftables, iptables and nmap');
  return ok;
}

export const V4 = { a: '198.51.100.61', b: '198.51.100.62' } as const;
export const V6 = { a: '2001:db8:61::1', b: '2001:db8:61::2' } as const;

export class Pair {
  readonly a: string;
  readonly b: string;
  /** B's interface: log lines from B carry IN=<this>. */
  readonly vethB: string;
  readonly #vethA: string;

  private constructor(tag: string) {
    this.a = `${tag}a`;
    this.b = `${tag}b`;
    this.#vethA = `${tag}va`;
    this.vethB = `${tag}vb`;
  }

  static async create(): Promise<Pair> {
    const tag = `psd${process.pid.toString(36)}${Math.floor(Math.random() * 46656).toString(36)}`.slice(0, 12);
    const p = new Pair(tag);
    try {
      await p.#build();
    } catch (err) {
      await p.destroy();
      throw err;
    }
    return p;
  }

  async #build(): Promise<void> {
    await exec('ip', ['netns', 'add', this.a]);
    await exec('ip', ['netns', 'add', this.b]);
    await exec('ip', ['link', 'add', this.#vethA, 'netns', this.a, 'type', 'veth', 'peer', 'name', this.vethB, 'netns', this.b]);
    for (const [ns, dev, v4, v6] of [[this.a, this.#vethA, V4.a, V6.a], [this.b, this.vethB, V4.b, V6.b]] as const) {
      await exec('ip', ['-n', ns, 'addr', 'add', `${v4}/24`, 'dev', dev]);
      await exec('ip', ['-n', ns, 'addr', 'add', `${v6}/64`, 'dev', dev, 'nodad']);
      await exec('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      await exec('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    }
  }

  /** Runs a command inside namespace `ns`, optionally with standard input. */
  run(ns: string, argv: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = execFile('ip', ['netns', 'exec', ns, ...argv], { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${argv.join(' ')} in ${ns}: ${err.message}\n${stderr}`));
        else resolve({ stdout, stderr });
      });
      // A tool that exits without reading its input (nft -f FILE) makes this write fail with EPIPE: its exit status tells.
      child.stdin?.on('error', () => undefined);
      child.stdin?.end(input ?? '');
    });
  }

  async destroy(): Promise<void> {
    for (const ns of [this.a, this.b]) await exec('ip', ['netns', 'del', ns]).catch(() => undefined);
  }
}

/**
 * Collects kernel log records (from /dev/kmsg, read live every 20 ms so a busy
 * host cannot overwrite them first) that B's firewall logged for packets
 * arriving on its veth. Records already in the ring are skipped.
 */
export class KmsgWatch {
  readonly lines: string[] = [];
  readonly #fd: number;
  readonly #buf = Buffer.alloc(8192);
  readonly #match: string;
  #timer: NodeJS.Timeout | undefined;

  constructor(pair: Pair) {
    this.#match = `IN=${pair.vethB} `;
    this.#fd = openSync('/dev/kmsg', constants.O_RDONLY | constants.O_NONBLOCK);
    this.#drain(false);
    const poll = (): void => {
      this.#drain(true);
      this.#timer = setTimeout(poll, 20);
    };
    poll();
  }

  #drain(keep: boolean): void {
    for (;;) {
      let n: number;
      try {
        n = readSync(this.#fd, this.#buf, 0, this.#buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') return;
        if (code === 'EPIPE') continue; // overwritten before read; the next read resumes
        throw err;
      }
      if (n === 0) return;
      const rec = this.#buf.toString('utf8', 0, n);
      const msg = rec.slice(rec.indexOf(';') + 1).split('\n')[0] as string;
      if (keep && msg.includes(this.#match)) this.lines.push(msg);
    }
  }

  /** Stops watching (after a last read) and returns what was collected. */
  stop(): string[] {
    clearTimeout(this.#timer);
    this.#drain(true);
    closeSync(this.#fd);
    return this.lines;
  }
}

/** LOG in a namespace other than the initial one is silent unless this switch is on (recipe in shared/README.md). */
export async function enableNetnsLogging(): Promise<void> {
  const { readFile, writeFile } = await import('node:fs/promises');
  const path = '/proc/sys/net/netfilter/nf_log_all_netns';
  if ((await readFile(path, 'utf8')).trim() !== '1') await writeFile(path, '1\n');
}
