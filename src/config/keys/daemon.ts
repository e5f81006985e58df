/** Keys owned by the daemon stage. */
import type { KeyTable } from '../key-types.js';

export const title = 'Daemon, state and control socket';

export const keys = {} satisfies KeyTable;
