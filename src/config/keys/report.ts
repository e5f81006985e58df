/** Keys for the reports (analyze, status). */
import { int } from '../key-types.js';

export const title = 'Reports';

export const keys = {
  STATUS_SIGS_THRESHOLD: int(50, 'Entries in "Top N signature matches" of the text report (analyze and status). "--top N" overrides all three limits.', { min: 1, max: 100000 }),
  STATUS_IP_THRESHOLD: int(25, 'Entries in "Top N attackers". psad printed one fewer than this (an off-by-one); tsad prints N.', { min: 1, max: 100000 }),
  STATUS_PORTS_THRESHOLD: int(20, 'Entries in "Top N scanned ports".', { min: 1, max: 100000 }),
  STATUS_DESTINATIONS: int(10, 'Destinations shown per source in "tsad status" (psad -S\'s DST: lines): the ones with the most packets in the current window, each with its packets, port span, protocols and last packet; the JSON has them as topDestinations. 0 shows none.', { min: 0, max: 1000 }, { psad: '(none)' }),
  TOP_PORTS_LOG_THRESHOLD: int(500, 'Entries in the JSON report\'s topPorts list.', { min: 1, max: 1000000 }),
  TOP_SIGS_LOG_THRESHOLD: int(500, 'Entries in the JSON report\'s topSignatures list.', { min: 1, max: 1000000 }),
};
