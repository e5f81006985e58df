/**
 * Fleet mode: many tsad daemons share scan evidence and block decisions
 * through Redis. Importing this module does not load the Redis client; only
 * openFleet() with FLEET_REDIS_URL set (or fleetStatus()) does.
 */
export { openFleet, type Fleet, type FleetHooks, type FleetStats } from './fleet.js';
export { FleetEvidence, type EvidenceStats, type FleetEvidenceOptions } from './evidence.js';
export type { EvidenceItem } from './evidence-queue.js';
export { fleetDangerLevel, type FleetLevel, type SensorEvidence } from './fleet-level.js';
export { FleetDecisions, type DecisionStats, type FleetDecisionsOptions } from './decisions.js';
export type { ApplyKind, DecisionHandler, Verdict } from './decision-reader.js';
export type { BlockNotice, DecisionOp, FleetDecision } from './decision.js';
export { connect, whenReady, type FleetLogger, type RedisLink } from './connection.js';
export { FleetKeys } from './keys.js';
export { fleetOptions, sensorName, type FleetOptions } from './options.js';
export { fleetStatus, type FleetStatusReport, type FleetStatusOptions, type FleetSensorStatus, type FleetSourceStatus, type FleetBlockStatus } from './status.js';
export { renderFleetStatus } from './status-text.js';
export { applyFleetDecisions, shareAutoBlocks, shareBlocks, FLEET_REASON, type BlockTarget, type SharableTransport, type SharedResult } from './apply.js';
