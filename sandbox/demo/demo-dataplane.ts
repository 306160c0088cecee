import { rmSync } from 'node:fs';

import { type MigrationPlan } from '../../plan';
import { LOOPBACK, type SandboxConfig } from '../config';
import {
  backendServiceDescription,
  bridgeServiceDescription,
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
import { type DeviceGateway, startDeviceGateway } from './device-gateway';

/**
 * Backend instances log at info into their own files (`<home>/ecs/<service>/<instance>.log`):
 * a few lines each (started, leaving the group, stopped with what the drain took), so a lost
 * message can be placed against them.
 */
const BACKEND_ENV = { FLEETSHIFT_LOG_LEVEL: 'info' };

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
  /** Where devices reach the IoT Core stand-in; the chaos fails it. */
  gateway: DeviceGateway;
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
  const services: ServiceDescription[] = [
    ...plan.backends.services.flatMap((service) => [
      backendServiceDescription(service.legacyService, 'legacy', service.instances, BACKEND_ENV),
      backendServiceDescription(service.migratedService, 'iot-core', 0, BACKEND_ENV),
    ]),
    bridgeServiceDescription(plan.bridge.deviceToBackend.service, bridgeConfigs.deviceToBackend, 0),
    bridgeServiceDescription(plan.bridge.backendToDevice.service, bridgeConfigs.backendToDevice, 0),
  ];

  // What has started so far, so a failure half way stops it again instead of leaving it running.
  const started: (() => Promise<void>)[] = [];
  try {
    const resources = await createSandboxResources(aws, {
      zoneName: plan.dns.hostedZoneName,
      recordName: plan.dns.recordName,
      targets: SANDBOX_NAMES.targets,
      weights: { legacy: 100, 'iot-core': 0 },
      ttlSeconds: plan.dns.ttlSeconds,
      cluster: plan.backends.cluster,
      services,
    });
    started.push(() => resources.stop());

    const ecsAgent = await startEcsAgent({ aws, cluster: resources.cluster, home: config.home });
    started.push(() => ecsAgent.stop());
    const dns = await startDnsServer({
      recordName: plan.dns.recordName,
      route53: { aws, hostedZoneId: resources.hostedZoneId },
    });
    started.push(() => dns.stop());

    const brokers = sandboxBrokerTargets(config);
    const gateway = await startDeviceGateway(config.ports.iotCoreMqtts);
    started.push(() => gateway.stop());
    const iotCoreForDevices = {
      ...brokers['iot-core'],
      url: `mqtts://${LOOPBACK}:${gateway.port}`,
    };
    await awaitConsumers(brokers.legacy, ledgerDir);
    const fleet = startFleet({
      devices: fleetOptions.devices,
      dns: { server: dns.address, recordName: plan.dns.recordName },
      brokers: { legacy: brokers.legacy, 'iot-core': iotCoreForDevices },
      reconnectEveryMs: fleetOptions.reconnectEveryMs,
      telemetryIntervalMs: fleetOptions.telemetryIntervalMs,
      ledgerDir,
    });
    started.push(() => fleet.stop(30_000));
    const exporter = await startMetricsExporter({ aws, brokers, fleet: () => fleet.counters() });

    return {
      fleet,
      ecsAgent,
      gateway,
      ledgerDir,
      // Backends stop before devices: they wait for the acks of commands they sent.
      stop: async () => {
        await exporter.stop();
        await ecsAgent.stop();
        await fleet.stop(30_000);
        await gateway.stop();
        await dns.stop();
        await resources.stop();
      },
    };
  } catch (err) {
    for (const stop of started.reverse()) await stop().catch(() => undefined);
    throw err;
  }
}
