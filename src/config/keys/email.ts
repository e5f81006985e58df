/** Keys owned by the email stage. */
import type { KeyTable } from '../key-types.js';

export const title = 'Email alerts and reports';

export const keys = {} satisfies KeyTable;
