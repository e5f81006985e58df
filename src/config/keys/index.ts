/**
 * All configuration keys, grouped into sections in the order they appear in
 * the generated etc/tsad.conf and tsad.conf(5). Each section lives in its own
 * file so that each stage owns its keys.
 */
import type { KeyTable, ValueOf } from '../key-types.js';
import * as input from './input.js';
import * as detect from './detect.js';
import * as signatures from './signatures.js';
import * as enrich from './enrich.js';
import * as daemon from './daemon.js';
import * as blocking from './blocking.js';
import * as email from './email.js';
import * as fleet from './fleet.js';
import * as report from './report.js';
import * as services from './services.js';

export interface Section {
  readonly title: string;
  readonly keys: KeyTable;
}

/** Sections in file order. */
export const SECTIONS: readonly Section[] = [input, detect, services, signatures, enrich, report, daemon, blocking, email, fleet];

const ALL = {
  ...input.keys,
  ...detect.keys,
  ...services.keys,
  ...signatures.keys,
  ...enrich.keys,
  ...report.keys,
  ...daemon.keys,
  ...blocking.keys,
  ...email.keys,
  ...fleet.keys,
};

export type KeyName = keyof typeof ALL;
/** The loaded configuration: one typed value per key. */
export type Config = { readonly [K in KeyName]: ValueOf<(typeof ALL)[K]> };

export const KEYS: KeyTable = ALL;
