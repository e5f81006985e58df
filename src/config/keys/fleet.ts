/** Keys owned by the fleet stage. */
import type { KeyTable } from '../key-types.js';

export const title = 'Fleet mode (Redis)';

export const keys = {} satisfies KeyTable;
