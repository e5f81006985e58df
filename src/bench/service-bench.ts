/**
 * `npm run bench` (service logs): throughput of the whole scoring pipeline
 * (parse, service patterns, detection, signatures) on a firewall log and on
 * a mixed log of the same line count in which 3 lines in 10 are service
 * lines instead (sshd failures, postfix relay and SASL rejects, dovecot
 * auth failures, web exploit probes, from a pool of attackers), in process,
 * the fastest of --runs runs each. Issue 18's target: the mixed log within
 * 20% of the firewall log. A benchmark, not a test: it asserts nothing.
 */
import { readFileSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig } from '../config/load.js';
import { buildAnalysis } from '../pipeline/analysis.js';
import { createParseContext } from '../parse/index.js';
import { generateLog, rng } from './generate-log.js';

const here = dirname(fileURLToPath(import.meta.url));
const cacheDir = join(here, '..', '..', 'bench', 'out');

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

const USERS = ['root', 'admin', 'oracle', 'test', 'ubuntu', 'postgres', 'git', 'user', 'support', 'pi'];
const PATHS = ['/wp-login.php', '/.env', '/phpmyadmin/index.php', '/cgi-bin/luci', '/.git/config', '/xmlrpc.php'];

/** A service line at `stamp` from one of `attackers`. */
function serviceLine(r: () => number, stamp: string, attackers: string[]): string {
  const a = attackers[Math.floor(r() * attackers.length)] as string;
  const u = USERS[Math.floor(r() * USERS.length)] as string;
  const port = 1024 + Math.floor(r() * 60000);
  const pid = 1000 + Math.floor(r() * 9000);
  switch (Math.floor(r() * 8)) {
    case 0: return `${stamp} fw1 sshd[${pid}]: Invalid user ${u} from ${a} port ${port}`;
    case 1: return `${stamp} fw1 sshd[${pid}]: Failed password for invalid user ${u} from ${a} port ${port} ssh2`;
    case 2: return `${stamp} fw1 sshd-session[${pid}]: Failed password for ${u} from ${a} port ${port} ssh2`;
    case 3: return `${stamp} fw1 sshd[${pid}]: Connection closed by authenticating user ${u} ${a} port ${port} [preauth]`;
    case 4: return `${stamp} fw1 postfix/smtpd[${pid}]: NOQUEUE: reject: RCPT from unknown[${a}]: 554 5.7.1 <${u}@example.org>: Relay access denied; from=<x@example.com> to=<${u}@example.org> proto=ESMTP helo=<win>`;
    case 5: return `${stamp} fw1 postfix/smtpd[${pid}]: warning: unknown[${a}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6`;
    case 6: return `${stamp} fw1 dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<${u}>, method=PLAIN, rip=${a}, lip=198.51.100.2, TLS, session=<abc${pid}>`;
    default: return `${stamp} fw1 nginx: ${a} - - [20/Nov/2026:00:00:00 +0000] "GET ${PATHS[Math.floor(r() * PATHS.length)]} HTTP/1.1" 404 153 "-" "Mozilla/5.0"`;
  }
}

/** The firewall log, and the same log with 3 lines in 10 replaced by service lines (same line count). */
async function inputs(lines: number): Promise<{ firewall: string[]; mixed: string[] }> {
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, `service-bench-fw-${lines}.log`);
  if (!existsSync(file)) await generateLog(file, { lines, seed: 7 });
  const firewall = readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');
  const r = rng(18);
  const attackers = Array.from({ length: 2000 }, (_, i) => (i % 8 === 0 ? `2001:db8:${((i * 7919) % 65536).toString(16)}::${i.toString(16)}` : `203.0.${(i >> 8) & 255}.${i & 255}`));
  const mixed = firewall.map((l, i) => (i % 10 < 3 ? serviceLine(r, l.slice(0, 15), attackers) : l));
  writeFileSync(join(cacheDir, `service-bench-mixed-${lines}.log`), `${mixed.join('\n')}\n`);
  return { firewall, mixed };
}

async function run(lines: string[], services = true): Promise<{ seconds: number; service: number; firewall: number }> {
  const a = await buildAnalysis({ cfg: { ...defaultConfig(), ENABLE_SERVICE_LOGS: services }, signatures: true, geoip: false, feeds: false, warn: () => {} });
  const ctx = createParseContext({ year: 2026 });
  const t0 = performance.now();
  for (const l of lines) a.pipeline.line(l, ctx);
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, service: a.pipeline.serviceLines, firewall: a.pipeline.firewallLines };
}

async function main(): Promise<void> {
  const n = arg('--service-lines', 500_000);
  const runs = arg('--runs', 3);
  const { firewall, mixed } = await inputs(n);
  const mb = (ls: string[]): number => ls.reduce((s, l) => s + l.length + 1, 0) / 1e6;
  const best = async (ls: string[], services = true): Promise<{ seconds: number; service: number; firewall: number }> => {
    let b: { seconds: number; service: number; firewall: number } | null = null;
    for (let i = 0; i < runs; i++) {
      const m = await run(ls, services);
      if (b === null || m.seconds < b.seconds) b = m;
    }
    return b as { seconds: number; service: number; firewall: number };
  };
  const off = await best(firewall, false);
  const f = await best(firewall);
  const m = await best(mixed);
  const line = (name: string, ls: string[], x: { seconds: number; service: number; firewall: number }): string =>
    `  ${name.padEnd(14)} ${ls.length.toLocaleString('en-US')} lines, ${mb(ls).toFixed(1)} MB: ${x.seconds.toFixed(2)} s, ${Math.round(ls.length / x.seconds).toLocaleString('en-US')} lines/s, ${(mb(ls) / x.seconds).toFixed(1)} MB/s (${x.firewall.toLocaleString('en-US')} firewall, ${x.service.toLocaleString('en-US')} service lines)`;
  process.stdout.write(`Service logs (in process: parse + service patterns + detect + signatures, best of ${runs}):\n`);
  process.stdout.write(`${line('firewall, off', firewall, off)}  (ENABLE_SERVICE_LOGS N)\n${line('firewall only', firewall, f)}\n${line('mixed (30%)', mixed, m)}\n`);
  const ratio = firewall.length / f.seconds / (mixed.length / m.seconds);
  process.stdout.write(`  mixed/firewall lines per second: ${(1 / ratio).toFixed(2)} (target: at least 0.80)\n`);
}

await main();
