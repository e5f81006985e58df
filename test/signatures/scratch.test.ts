import { test } from 'vitest';
import { parseLine, createParseContext } from '../../src/parse/index.js';
test('x', () => {
const ctx = createParseContext({ year: 2026 });
for (const l of [
 'Jun 17 10:00:00 fw kernel: [12345.678] DROP IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=203.0.113.5 DST=198.51.100.10 LEN=44 TOS=0x00 PREC=0x00 TTL=45 ID=54321 PROTO=TCP SPT=40000 DPT=31337 WINDOW=1024 RES=0x00 SYN URGP=0',
 'Jun 17 10:00:00 fw kernel: DROP IN=eth0 OUT= SRC=203.0.113.5 DST=198.51.100.10 LEN=28 TOS=0x00 PREC=0x00 TTL=45 ID=1 PROTO=ICMP TYPE=8 CODE=0 ID=1234 SEQ=1',
 'Jun 17 10:00:00 fw kernel: [1] SID2003 ESTAB IN=eth0 OUT= SRC=2001:0db8:0000:0000:0000:0000:0000:0001 DST=2001:0db8:0000:0000:0000:0000:0000:0002 LEN=104 TC=0 HOPLIMIT=64 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=5 SEQ=1',
]) console.log(JSON.stringify(parseLine(l, ctx)));
});
