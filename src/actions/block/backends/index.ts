/** Builds the backends BLOCK_BACKEND lists, in order. */
import type { Config } from '../../../config/keys/index.js';
import { splitBlockCommand } from '../../../config/keys/blocking.js';
import { ConfigError } from '../../../config/errors.js';
import type { BackendContext, BlockBackend } from '../types.js';
import { CommandBackend } from './command.js';
import { HostsDenyBackend } from './hosts-deny.js';
import { IpsetBackend } from './ipset.js';
import { IptablesBackend } from './iptables.js';
import { NftablesBackend } from './nftables.js';
import { NoneBackend } from './none.js';
import { XtRecentBackend } from './xt-recent.js';

export interface BackendOverrides {
  /** Directory holding the xt_recent lists (tests reach a namespace through /proc/PID/net/xt_recent). */
  xtRecentDir?: string;
}

export function createBackends(cfg: Config, ctx: BackendContext, o: BackendOverrides = {}, file = '(configuration)'): BlockBackend[] {
  const names = [...new Set(cfg.BLOCK_BACKEND)];
  if (names.includes('ipset') && names.includes('iptables')) {
    throw new ConfigError(file, 0, 'BLOCK_BACKEND', 'ipset and iptables both use the TSAD_BLOCK_* chains; list only one of them');
  }
  if (names.includes('command') && cfg.BLOCK_COMMAND === '') {
    throw new ConfigError(file, 0, 'BLOCK_COMMAND', 'the command backend needs BLOCK_COMMAND');
  }
  return names.map((n): BlockBackend => {
    switch (n) {
      case 'nftables': return new NftablesBackend(ctx, cfg.BLOCK_TARGET);
      case 'ipset': return new IpsetBackend(ctx, cfg.BLOCK_TARGET);
      case 'iptables': return new IptablesBackend(ctx, cfg.BLOCK_TARGET);
      case 'xt_recent': return new XtRecentBackend(ctx, { name: cfg.XT_RECENT_NAME, procDir: o.xtRecentDir });
      case 'hosts.deny': return new HostsDenyBackend(ctx, cfg.ETC_HOSTS_DENY_FILE);
      case 'command': return new CommandBackend(ctx, splitBlockCommand(cfg.BLOCK_COMMAND));
      case 'none': return new NoneBackend();
      default: throw new ConfigError(file, 0, 'BLOCK_BACKEND', `unknown backend "${n}"`);
    }
  });
}
