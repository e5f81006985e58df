// Runs a command and prints each line of its stdout prefixed with the monotonic
// time (ns, process.hrtime) at which it arrived: "NS LINE". Used to time
// `nft monitor` events against kernel log records (helpers/kmsg-tap.mjs).
import { spawn } from 'node:child_process';
import { writeSync } from 'node:fs';

const [cmd, ...args] = process.argv.slice(2);
const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
let buf = '';
child.stdout.setEncoding('utf8').on('data', (d) => {
  const t = process.hrtime.bigint();
  buf += d;
  let nl = buf.indexOf('\n');
  while (nl >= 0) {
    writeSync(1, `${t} ${buf.slice(0, nl)}\n`);
    buf = buf.slice(nl + 1);
    nl = buf.indexOf('\n');
  }
});
const stop = () => child.kill('SIGTERM');
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
child.on('exit', (code) => process.exit(code ?? 0));
