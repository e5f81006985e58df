import { readFileSync } from 'node:fs';
import { packageFile } from '../io/package-files.js';

/** Version from the installed package's package.json. */
export const VERSION: string = (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version;
