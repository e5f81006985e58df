/** Every subcommand registers itself on the program; order here is the order in --help. */
import type { Command } from 'commander';
import { registerAnalyze } from './analyze.js';
import { registerConfig } from './config.js';
import { registerFeeds } from './feeds.js';
import { registerSignatures } from './signatures.js';
import { registerPatterns } from './patterns.js';
import { daemonOrDirect, registerBlock } from './block.js';
import { registerDaemon } from './daemon.js';
import { registerStatus } from './status.js';
import { registerReport } from './report.js';
import { registerFwCheck } from './fw-check.js';
import { registerFleet } from './fleet.js';
import { daemonExtensions, offlineBlocks } from '../../daemon/extensions/index.js';

export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerAnalyze,
  (p) => registerDaemon(p, { extensions: daemonExtensions() }),
  (p) => registerStatus(p, { offlineBlocks }),
  (p) => registerReport(p, { offlineBlocks }),
  (p) => registerBlock(p, daemonOrDirect),
  registerSignatures,
  registerPatterns,
  registerFeeds,
  registerConfig,
  registerFwCheck,
  registerFleet,
];
