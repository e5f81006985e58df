/** Keys owned by the detect stage. */
import type { KeyTable } from '../key-types.js';

export const title = 'Detection and danger levels';

export const keys = {} satisfies KeyTable;
