import { describe, expect, it } from 'vitest';
import { parseFeedSpec } from '../../src/config/keys/enrich.js';
import { ConfigError } from '../../src/config/errors.js';
import { renderConfig } from '../../src/config/render.js';
import { configFrom } from './helpers/config.js';

describe('REPUTATION_FEED syntax', () => {
  it('reads tsad\'s field=value form with defaults', () => {
    expect(parseFeedSpec('name=dshield-top source=https://feeds.dshield.org/top10-2.txt format=dshield-top10')).toEqual({
      name: 'dshield-top', dl: 4, format: 'dshield-top10', source: 'https://feeds.dshield.org/top10-2.txt', refreshSec: 43200, block: false, psadForm: false,
    });
    expect(parseFeedSpec('  name=fh   source=/srv/lists/level1.netset  format=netset dl=5 refresh=1d block=Y ')).toEqual({
      name: 'fh', dl: 5, format: 'firehol', source: '/srv/lists/level1.netset', refreshSec: 86400, block: true, psadForm: false,
    });
    expect(parseFeedSpec('name=a source=file:///x/y.txt refresh=0').source).toBe('/x/y.txt');
    expect(parseFeedSpec('name=a source=y.txt refresh=never').refreshSec).toBe(0);
    expect(parseFeedSpec('name=a source=y.txt refresh=90m format=ET').format).toBe('emerging-threats');
  });

  it('accepts the whole value in double quotes (as config dump writes it)', () => {
    expect(parseFeedSpec('"name=q source=http://127.0.0.1/x dl=2"')).toMatchObject({ name: 'q', dl: 2 });
  });

  it('maps psad\'s comma form to a local file feed and ignores its command', () => {
    expect(parseFeedSpec('"EmergingThreats Block IPs",4,IP,newline,1440,N,emerging-Block-IPs.txt,"curl -s https://rules.emergingthreats.net/fwrules/emerging-Block-IPs.txt -o /tmp/x"')).toEqual({
      name: 'EmergingThreats Block IPs', dl: 4, format: 'plain', source: 'emerging-Block-IPs.txt', refreshSec: 86400, block: false, psadForm: true,
    });
    expect(parseFeedSpec('"Test Block IPs", 3, IP, newline, 0, Y, test.txt').refreshSec).toBe(0);
  });

  it.each([
    ['name=x', /missing source/],
    ['source=/x', /missing name/],
    ['name=x source=/x dl=6', /dl "6" must be a danger level from 1 to 5/],
    ['name=x source=/x dl=0', /danger level/],
    ['name=x source=/x format=csv', /format "csv" is not one of/],
    ['name=x source=/x refresh=30s', /shorter than one minute/],
    ['name=x source=/x refresh=12', /not a duration/],
    ['name=x source=/x block=maybe', /block "maybe" must be Y or N/],
    ['name=x source=ftp://h/x', /only http, https and file/],
    ['name=x source=http://[bad/x', /not a valid URL/],
    ['name=x source=/x colour=red', /unknown field "colour"/],
    ['name=x name=y source=/x', /given twice/],
    ['name=a/b source=/x', /name "a\/b" must be/],
    ['just-a-word', /not field=value/],
    ['"n",4,IP,newline,60,N', /7 or 8 comma separated fields/],
    ['"n",4,DOMAIN,newline,60,N,f.txt,"c"', /only IP lists/],
    ['"n",4,IP,newline,99999,N,f.txt,"c"', /0-43200 minutes/],
    ['"n",9,IP,newline,60,N,f.txt,"c"', /danger level/],
  ])('refuses %s', (raw, msg) => {
    expect(() => parseFeedSpec(raw)).toThrow(msg);
  });

  it('a bad feed line is a configuration error naming file, line and key', () => {
    let err: unknown;
    try {
      configFrom('ENABLE_REPUTATION_FEEDS Y;\nREPUTATION_FEED name=ok source=/x;\nREPUTATION_FEED name=bad source=/x dl=9;\n', 'feeds.conf');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe('feeds.conf:3: REPUTATION_FEED: dl "9" must be a danger level from 1 to 5');
  });

  it('repeats accumulate and survive config dump and re-read (both forms)', () => {
    const text = 'REPUTATION_FEED name=a source=http://127.0.0.1:1/a.txt dl=3;\nREPUTATION_FEED name=b source=/srv/b.txt block=Y;\n'
      + 'REPUTATION_FEED "Test Block IPs",3,IP,newline,60,N,test.txt,"wget -q -O test.txt http://x.invalid/a?b=c";\n';
    const cfg = configFrom(text);
    expect(cfg.REPUTATION_FEED).toEqual([
      'name=a source=http://127.0.0.1:1/a.txt dl=3', 'name=b source=/srv/b.txt block=Y',
      '"Test Block IPs",3,IP,newline,60,N,test.txt,"wget -q -O test.txt http://x.invalid/a?b=c"',
    ]);
    const again = configFrom(renderConfig(cfg));
    expect(again.REPUTATION_FEED.map(parseFeedSpec)).toEqual(cfg.REPUTATION_FEED.map(parseFeedSpec));
  });

  it('DNS_RESOLVERS takes ADDR, IPv4:PORT and [IPv6]:PORT', () => {
    expect(configFrom('DNS_RESOLVERS 192.0.2.53, 127.0.0.1:5353, [2001:db8::53]:53, 2001:db8::54;').DNS_RESOLVERS).toEqual(['192.0.2.53', '127.0.0.1:5353', '[2001:db8::53]:53', '2001:db8::54']);
    expect(() => configFrom('DNS_RESOLVERS 1.2.3;')).toThrow(/test\.conf:1: DNS_RESOLVERS: "1\.2\.3" is not ADDR/);
    expect(() => configFrom('DNS_RESOLVERS 127.0.0.1:70000;')).toThrow(/is not ADDR/);
  });

  it('defaults: feeds on, no feed configured, cache in /var/lib/tsad/feeds', () => {
    const cfg = configFrom('');
    expect(cfg.ENABLE_REPUTATION_FEEDS).toBe(true);
    expect(cfg.REPUTATION_FEED).toEqual([]);
    expect(cfg.REPUTATION_FEEDS_DIR).toBe('/var/lib/tsad/feeds');
    expect(cfg.ENABLE_GEOIP).toBe(true);
    expect(cfg.GEOIP_COUNTRY_DB).toBe('BUILTIN');
    expect(cfg.ENABLE_DNS_LOOKUPS).toBe(true);
    expect(cfg.DNS_TIMEOUT).toBe(2);
  });
});
