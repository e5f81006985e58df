/** Keys owned by the blocking stage. */
import type { KeyTable } from '../key-types.js';

export const title = 'Auto-blocking';

export const keys = {} satisfies KeyTable;
