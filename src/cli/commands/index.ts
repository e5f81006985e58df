/** Every subcommand registers itself on the program; order here is the order in --help. */
import type { Command } from 'commander';
import { registerAnalyze } from './analyze.js';
import { registerConfig } from './config.js';
import { registerFeeds } from './feeds.js';
import { registerSignatures } from './signatures.js';
import { registerBlock } from './block.js';

export const COMMANDS: ReadonlyArray<(program: Command) => void> = [registerAnalyze, registerSignatures, registerFeeds, (p) => registerBlock(p), registerConfig];
