export { cloudWatchClient, ecsClient, route53Client } from './aws-clients';
export type { AwsTarget } from './aws-clients';
export { startBackend } from './backend';
export type { BackendCounters, BackendHandle, BackendOptions } from './backend';
export { brokerResolver } from './broker-resolver';
export type { BrokerTarget, ResolveBroker, ResolvedBroker } from './broker-resolver';
export { CommandTracker } from './command-tracker';
export type { CommandTrackerOptions, PendingCommand } from './command-tracker';
export { startDnsServer } from './dns-server';
export type { DnsServerHandle, DnsServerOptions, RecordSource } from './dns-server';
export { startEcsAgent } from './ecs-agent';
export type { EcsAgentHandle, EcsAgentOptions, ServiceState } from './ecs-agent';
export { startFleet } from './fleet';
export type { FleetHandle, FleetOptions, FleetSnapshot } from './fleet';
export { classifyConnectFailure, emptyFleetCounters } from './fleet-counters';
export type { BrokerName, ConnectOutcome, FleetCounters } from './fleet-counters';
export { openLedger, reconcileLedger } from './ledger';
export { openScaleEvents, scaleEventsFile } from './scale-events';
export type { Direction, DirectionReport, LedgerReport, LedgerWriter } from './ledger';
export { TOPICS } from './messages';
export type { DeviceCommand, Telemetry } from './messages';
export { METRIC_NAMESPACES, startMetricsExporter } from './metrics-exporter';
export type { MetricsExporterHandle, MetricsExporterOptions } from './metrics-exporter';
export {
  backendServiceDescription,
  bridgeServiceDescription,
  createSandboxResources,
  findHostedZoneId,
} from './resources';
export type {
  SandboxResourcesDescription,
  SandboxResourcesHandle,
  ServiceDescription,
} from './resources';
export {
  SANDBOX_NAMES,
  ensureDataplaneCertificates,
  sandboxAws,
  sandboxBrokerTargets,
  sandboxClientTls,
  sandboxLedgerDir,
} from './sandbox-layout';
export { chooseWeighted, fqdn, readWeightedRecords } from './weighted-records';
export type { WeightedRecord } from './weighted-records';
