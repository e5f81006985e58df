/** Every subcommand registers itself on the program; order here is the order in --help. */
import type { Command } from 'commander';
import { registerAnalyze } from './analyze.js';
import { registerConfig } from './config.js';
import { registerFeeds } from './feeds.js';
import { registerSignatures } from './signatures.js';
import { registerBlock } from './block.js';
import { registerDaemon } from './daemon.js';
import { registerStatus } from './status.js';
import { registerFwCheck } from './fw-check.js';

export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  registerAnalyze,
  (p) => registerDaemon(p),
  (p) => registerStatus(p),
  (p) => registerBlock(p),
  registerSignatures,
  registerFeeds,
  registerConfig,
  registerFwCheck,
];
