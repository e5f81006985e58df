/** Keys owned by the enrich stage. */
import type { KeyTable } from '../key-types.js';

export const title = 'Enrichment: GeoIP, reputation feeds, DNS';

export const keys = {} satisfies KeyTable;
