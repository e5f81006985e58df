/** tsad-signatures(5) renders with groff without warnings and documents what the code does. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { keys } from '../../src/config/keys/signatures.js';

const MAN = join(import.meta.dirname, '../../man/tsad-signatures.5');
const haveGroff = spawnSync('groff', ['--version']).status === 0;

test.skipIf(!haveGroff && process.env.CI !== 'true')('groff -man -ww -z prints no warning', () => {
  const r = spawnSync('groff', ['-man', '-ww', '-z', MAN], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stderr).toBe('');
  const text = execFileSync('groff', ['-man', '-Tutf8', MAN], { encoding: 'utf8' }).replace(/.\x08/g, '');
  expect(text).toContain('DIFFERENCES FROM PSAD');
});

test('the page names every option keyword, the psad fixes and the config keys', () => {
  const page = readFileSync(MAN, 'utf8').replace(/\\-/g, '-');
  for (const word of ['msg:', 'sid:', 'psad_id:', 'psad_dl:', 'classtype:', 'priority:', 'reference:', 'metadata:', 'psad_derived_sids:', 'flags:', 'flow:established',
    'ttl:', 'id:', 'tos:', 'window:', 'seq:', 'ack:', 'dsize:', 'psad_dsize:', 'psad_ip_len:', 'itype:', 'icode:', 'icmp_id:', 'icmp_seq:', 'ipopts:', 'ip_proto:',
    'fragbits:', 'sameip', 'tsad_chain:', 'tsad_direction:', 'tsad_role:', 'tsad_icmp6', 'flags:0', 'CWR', 'icmp6', 'snort_rule_dl', 'SNORT_SID_STR', '# fires:', '# quiet:', '# test-config:', 'ICMP PING']) {
    expect(page, word).toContain(word);
  }
  for (const key of Object.keys(keys).filter((k) => !k.endsWith('_SERVERS') && !k.endsWith('_PORTS') && !k.endsWith('_NET'))) expect(page, key).toContain(key);
});
