export { startBridge } from './bridge';
export type { BridgeHandle, BridgeOptions } from './bridge';
export { DIRECTIONS, loadBridgeConfig, parseBridgeConfig } from './config';
export type {
  BridgeConfig,
  BridgeConfigInput,
  BrokerConfig,
  Direction,
  RouteConfig,
} from './config';
export { BridgeConfigError } from './errors';
export { systemClock } from './clock';
export type { Clock, TimerHandle } from './clock';
export { OrderedAcks } from './ordered-acks';
export type { AckTicket } from './ordered-acks';
export { RateLimiter } from './rate-limiter';
export { InFlightWindow } from './in-flight-window';
export { JitteredBackoff } from './backoff';
export { DownstreamPool } from './downstream-pool';
export type { Outbound, PoolConnection, PoolLimits, PoolMessage } from './downstream-pool';
export {
  DEAD_LETTER_MESSAGES,
  DEAD_LETTER_REASONS,
  IOT_CORE_LIMITS,
  iotCoreRefusal,
} from './iot-core-limits';
export type { DeadLetterReason } from './iot-core-limits';
export { HOP_PROPERTY, carriesHop, hopMarker, mapProperties } from './properties';
export type { PropertyMapping, PublishProperties } from './properties';
export { filtersOverlap, isValidFilter, rewriteTopic, topicMatches } from './topic-filter';
export type { TopicRewrite } from './topic-filter';
export { FileDeadLetterStore, S3DeadLetterStore } from './dead-letter';
export type { DeadLetterRecord, DeadLetterStore } from './dead-letter';
export { BridgeMetrics } from './metrics';
export type { BridgeHealth } from './http-server';
