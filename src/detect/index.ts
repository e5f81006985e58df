/** The detect stage: which packets count, per-source scan state and danger levels, report parts. */
export { createPacketFilter, hasSnortSid, type PacketFilter } from './packet-filter.js';
export { AutoDl, loadAutoDl, parseAutoDl, type AutoDlEntry, type AutoDlLoad, type AutoDlProblem } from './auto-dl.js';
export { ScanTracker, type LevelChangeHandler, type TrackerOptions, type TrackerStats } from './scan-tracker.js';
export { SourceState, type SignatureTally } from './source-state.js';
export { ProtoStat } from './proto-stat.js';
export { sourceReport, sourceReports, compareSourceStates, listedSources, toolOf } from './source-report.js';
export { topDestinations } from './destination-view.js';
export { GlobalCounters } from './global-counters.js';
export { SCAN_STATE_FORMAT, SCAN_STATE_VERSION, salvageScanState, type SavedScanState } from './tracker-state.js';
export { COUNTERS_FORMAT, COUNTERS_VERSION, salvageCounters, type SavedCounters } from './counters-state.js';
export {
  FingerprintDb, configuredFingerprints, loadFingerprints, parseFingerprints, shippedFingerprintsPath,
  type Fingerprint, type FingerprintGuess, type FingerprintProblem,
} from './os-fingerprint.js';
export { dangerRules, destinationLevel, packetLadder, sweepLadder, type DangerRules } from './danger-rules.js';
export { invalidIcmp } from './icmp-types.js';
export { isConntrackLeftover } from './conntrack-leftover.js';
export { classify, scanTypes, ScanClass } from './scan-class.js';
export { TrafficClassifier } from './traffic-class.js';
