import { rmSync } from 'node:fs';

import { type MigrationPlan } from '../../plan';
import { type SandboxConfig, sandboxEndpoints } from '../config';
import {
  backendServiceDescription,
  createSandboxResources,
  ensureDataplaneCertificates,
  sandboxAws,
  sandboxBrokerTargets,
  sandboxLedgerDir,
  SANDBOX_NAMES,
  type ServiceDescription,
  startDnsServer,
  startEcsAgent,
  startFleet,
  startMetricsExporter,
  type EcsAgentHandle,
  type FleetHandle,
} from '../dataplane';
import { writeDemoBridgeConfigs } from './bridge-configs';
import { awaitConsumers } from './consumer-probe';

/** How the demo's fleet behaves. */
export interface DemoFleetOptions {
  devices: number;
  /** Mean time between a device's voluntary reconnects, so DNS weight changes take effect. */
  reconnectEveryMs: number;
  telemetryIntervalMs: number;
}

/** The running data plane of a demo. */
export interface DemoDataplane {
  fleet: FleetHandle;
  ecsAgent: EcsAgentHandle;
  ledgerDir: string;
  /** Stops the fleet (draining its telemetry), then every instance, DNS and the exporter. */
  stop(): Promise<void>;
}

/**
 * Creates the demo's AWS resources in moto and starts what moto cannot run: the ECS agent
 * (backend and bridge instances), the weighted DNS server, the device fleet and the metrics
 * exporter. Legacy backends start at full strength, migrated ones and the bridge at zero: the
 * migration's preparation and backends phases scale them.
 */
export async function startDemoDataplane(
  config: SandboxConfig,
  plan: MigrationPlan,
  fleetOptions: DemoFleetOptions,
): Promise<DemoDataplane> {
  const aws = sandboxAws(config);
  const ledgerDir = sandboxLedgerDir(config);
  // A fresh ledger per run: the verdict must speak of this run's messages only.
  rmSync(ledgerDir, { recursive: true, force: true });
  ensureDataplaneCertificates(config);

  const bridgeConfigs = writeDemoBridgeConfigs(config, {
    deviceToBackend: plan.canary.deviceToBackendTopic,
    backendToDevice: plan.canary.backendToDeviceTopic,
  });
  const bridgeService = (name: string, file: string): ServiceDescription => ({
    name,
    command: ['node', 'bin/fleetshift.js', 'bridge', '--config', file],
    desiredCount: 0,
  });
  const services: ServiceDescription[] = [
    ...plan.backends.services.flatMap((service) => [
      backendServiceDescription(service.legacyService, 'legacy', service.instances),
      backendServiceDescription(service.migratedService, 'iot-core', 0),
    ]),
    bridgeService(plan.bridge.deviceToBackend.service, bridgeConfigs.deviceToBackend),
    bridgeService(plan.bridge.backendToDevice.service, bridgeConfigs.backendToDevice),
  ];

  const resources = await createSandboxResources(aws, {
    zoneName: plan.dns.hostedZoneName,
    recordName: plan.dns.recordName,
    targets: SANDBOX_NAMES.targets,
    weights: { legacy: 100, 'iot-core': 0 },
    ttlSeconds: plan.dns.ttlSeconds,
    cluster: plan.backends.cluster,
    services,
  });

  const ecsAgent = await startEcsAgent({ aws, cluster: resources.cluster, home: config.home });
  const dns = await startDnsServer({
    recordName: plan.dns.recordName,
    route53: { aws, hostedZoneId: resources.hostedZoneId },
  });
  const brokers = sandboxBrokerTargets(config);
  await awaitConsumers(brokers.legacy, ledgerDir);
  const fleet = startFleet({
    devices: fleetOptions.devices,
    dns: { server: dns.address, recordName: plan.dns.recordName },
    brokers,
    reconnectEveryMs: fleetOptions.reconnectEveryMs,
    telemetryIntervalMs: fleetOptions.telemetryIntervalMs,
    ledgerDir,
  });
  const exporter = await startMetricsExporter({ aws, brokers, fleet: () => fleet.counters() });

  return {
    fleet,
    ecsAgent,
    ledgerDir,
    stop: async () => {
      await fleet.stop(30_000);
      await ecsAgent.stop();
      await exporter.stop();
      await dns.stop();
      await resources.stop();
    },
  };
}

/** The addresses a person needs to follow the demo. */
export function demoAddresses(config: SandboxConfig): { temporalUi: string } {
  return { temporalUi: sandboxEndpoints(config).temporalUiUrl };
}
