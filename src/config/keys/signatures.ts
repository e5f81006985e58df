/** Keys owned by the signatures stage. */
import type { KeyTable } from '../key-types.js';

export const title = 'Signatures';

export const keys = {} satisfies KeyTable;
