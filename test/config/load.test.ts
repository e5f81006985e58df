import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { buildConfig, defaultConfig, loadConfigFile, parseConfigText } from '../../src/config/load.js';
import { renderConfig } from '../../src/config/render.js';
import { KEYS } from '../../src/config/keys/index.js';

const dir = mkdtempSync(join(tmpdir(), 'tsad-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config loader', () => {
  it('reads psad syntax: KEY value; comments, blank lines, trailing comments', () => {
    const entries = parseConfigText('# comment\n\nFW_SEARCH_ALL   N;  # why\n  FW_MSG_SEARCH DROP;\nFW_MSG_SEARCH "REJECT;x";\n', 'x.conf');
    expect(entries).toEqual([
      { key: 'FW_SEARCH_ALL', raw: 'N', line: 3 },
      { key: 'FW_MSG_SEARCH', raw: 'DROP', line: 4 },
      { key: 'FW_MSG_SEARCH', raw: '"REJECT;x"', line: 5 },
    ]);
    const cfg = buildConfig(entries, 'x.conf');
    expect(cfg.FW_SEARCH_ALL).toBe(false);
    expect(cfg.FW_MSG_SEARCH).toEqual(['DROP', 'REJECT;x']);
  });

  it('expands $VAR from other keys and the environment', () => {
    process.env.TSAD_TEST_DIR = '/srv/logs';
    const cfg = loadConfigFile(file('vars.conf', 'IPT_SYSLOG_FILE $TSAD_TEST_DIR/kern.log;\nIGNORE_LOG_PREFIXES $IPT_SYSLOG_FILE;\n'));
    expect(cfg.IPT_SYSLOG_FILE).toBe('/srv/logs/kern.log');
    expect(cfg.IGNORE_LOG_PREFIXES).toEqual(['/srv/logs/kern.log']);
  });

  it('leaves an unknown $NAME inside double quotes for the program using the value', () => {
    const cfg = loadConfigFile(file('quoted.conf', 'IGNORE_LOG_PREFIXES "a $LOCAL_FILE b";\n'));
    expect(cfg.IGNORE_LOG_PREFIXES).toEqual(['a $LOCAL_FILE b']);
  });

  it.each([
    ['unknown key', 'NO_SUCH_KEY 1;\n', 1, 'NO_SUCH_KEY', /unknown key/],
    ['bad value', '# x\nFW_SEARCH_ALL maybe;\n', 2, 'FW_SEARCH_ALL', /expected Y or N/],
    ['out of range', 'MAX_LINE_LENGTH 5;\n', 1, 'MAX_LINE_LENGTH', /out of range/],
    ['missing semicolon', 'FW_SEARCH_ALL Y\n', 1, 'FW_SEARCH_ALL', /missing ";"/],
    ['bad line', '\n\n= Y;\n', 3, '', /expected "KEY value;"/],
    ['unknown variable', 'IPT_SYSLOG_FILE $NOPE_NOT_SET;\n', 1, 'IPT_SYSLOG_FILE', /unknown variable \$NOPE_NOT_SET/],
    ['duplicate key', 'FW_SEARCH_ALL Y;\nFW_SEARCH_ALL N;\n', 2, 'FW_SEARCH_ALL', /already set on line 1/],
  ])('names file, line and key for a %s', (_n, text, line, key, msg) => {
    const path = file(`bad-${line}-${key || 'x'}.conf`, text);
    const err = configError(() => loadConfigFile(path));
    expect(err.file).toBe(path);
    expect(err.line).toBe(line);
    expect(err.key).toBe(key);
    expect(err.message).toMatch(msg);
    expect(err.message.startsWith(`${path}:${line}: `)).toBe(true);
  });

  it('reports an unreadable file', () => {
    const err = configError(() => loadConfigFile(join(dir, 'missing.conf')));
    expect(err.message).toMatch(/ENOENT/);
  });

  it('has a doc string and a round-tripping default for every key', () => {
    for (const [k, def] of Object.entries(KEYS)) {
      expect(def.doc.length, k).toBeGreaterThan(10);
      if (!def.repeatable) expect(def.parse(def.format(def.default)), k).toEqual(def.default);
    }
  });

  it('ships etc/tsad.conf identical to the built-in defaults', () => {
    const shipped = readFileSync(new URL('../../etc/tsad.conf', import.meta.url), 'utf8');
    // If this fails after adding a key: npm run gen:conf
    expect(shipped).toBe(renderConfig());
    expect(loadConfigFile(new URL('../../etc/tsad.conf', import.meta.url).pathname)).toEqual(defaultConfig());
  });
});

describe('defaults for few, meaningful alerts (tsad.conf(5) gives the reasons)', () => {
  it('mails from level 3, blocks (when enabled) from level 3, keeps psad\'s per-level timeouts, and scores as tsad does', () => {
    const c = defaultConfig();
    expect([c.EMAIL_ALERT_DANGER_LEVEL, c.AUTO_IDS_DANGER_LEVEL, c.ENABLE_AUTO_IDS]).toEqual([3, 3, false]);
    expect([c.IGNORE_REPLIES, c.IGNORE_OWN_TRAFFIC, c.IGNORE_LAN_DISCOVERY, c.SIGNATURE_ROLES, c.SLOW_SCAN_WINDOW]).toEqual([true, true, true, true, 604800]);
  });
});
