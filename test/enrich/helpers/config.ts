/** Builds a real Config from psad-syntax text, as `-c FILE` would. */
import { buildConfig, parseConfigText } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/keys/index.js';

export function configFrom(text: string, file = 'test.conf'): Config {
  return buildConfig(parseConfigText(text, file), file);
}
