import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListHostedZonesByNameCommand,
  type Change,
} from '@aws-sdk/client-route-53';

import { bridgeCommand } from '../../workers/bridge-launch';
import { type AwsTarget, ecsClient, route53Client } from './aws-clients';
import { type BrokerName } from './fleet-counters';
import { fqdn } from './weighted-records';

/** One ECS service whose instances the local ECS agent runs. */
export interface ServiceDescription {
  name: string;
  /** The first container's command, for example ['node','bin/fleetshift.js','bridge',...]. */
  command: string[];
  environment?: Record<string, string>;
  desiredCount: number;
}

/** The plan-like description of what the sandbox needs in moto. */
export interface SandboxResourcesDescription {
  /** For example `fleet.sandbox.`. */
  zoneName: string;
  /** The migration's record name, inside the zone; for example `mqtt.fleet.sandbox.`. */
  recordName: string;
  /** CNAME targets: SetIdentifier 'legacy' and 'iot-core' (the contracts). */
  targets: Record<BrokerName, string>;
  /** Starting weights. @default { legacy: 100, 'iot-core': 0 } */
  weights?: Record<BrokerName, number>;
  /** @default 5 (short, so devices follow weight changes quickly) */
  ttlSeconds?: number;
  cluster: string;
  services: ServiceDescription[];
}

/** What was created, and how to remove it. */
export interface SandboxResourcesHandle {
  hostedZoneId: string;
  cluster: string;
  /** Task definition ARN per service name. */
  taskDefinitions: Record<string, string>;
  /**
   * Scales every service to zero (the ECS agent then stops their instances); services, zone and
   * records stay. Deleting them instead would leave inactive namesakes in moto that shadow the
   * services the next run creates.
   */
  stop(): Promise<void>;
}

/**
 * Creates, or brings up to date, the sandbox's AWS resources in moto: the hosted zone with the
 * two weighted CNAME records, the ECS cluster, and a task definition and service per backend or
 * bridge service. Safe to call again: an existing zone is reused and records are upserted.
 */
export async function createSandboxResources(
  aws: AwsTarget,
  description: SandboxResourcesDescription,
): Promise<SandboxResourcesHandle> {
  const hostedZoneId = await ensureZone(aws, description.zoneName);
  await upsertWeightedRecords(aws, hostedZoneId, description);

  const ecs = ecsClient(aws);
  const { cluster } = description;
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const taskDefinitions: Record<string, string> = {};
  for (const service of description.services) {
    const registered = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: service.name,
        containerDefinitions: [
          {
            name: service.name,
            image: 'fleetshift/local', // the local agent runs the command, not an image
            command: service.command,
            environment: Object.entries(service.environment ?? {}).map(([name, value]) => ({
              name,
              value,
            })),
            memory: 256,
          },
        ],
      }),
    );
    const arn = registered.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new Error(`moto registered no task definition for ${service.name}`);
    taskDefinitions[service.name] = arn;
    await ensureService(aws, cluster, service, arn);
  }

  return {
    hostedZoneId,
    cluster,
    taskDefinitions,
    stop: async () => {
      for (const service of description.services) {
        await ecs.send(
          new UpdateServiceCommand({ cluster, service: service.name, desiredCount: 0 }),
        );
      }
      ecs.destroy();
    },
  };
}

/** The id of the hosted zone named `zoneName`, if moto has one. */
export async function findHostedZoneId(
  aws: AwsTarget,
  zoneName: string,
): Promise<string | undefined> {
  const name = fqdn(zoneName);
  const found = await route53Client(aws).send(new ListHostedZonesByNameCommand({ DNSName: name }));
  const zone = found.HostedZones?.find((z) => fqdn(z.Name ?? '') === name);
  return zone?.Id?.replace('/hostedzone/', '');
}

async function ensureZone(aws: AwsTarget, zoneName: string): Promise<string> {
  const existing = await findHostedZoneId(aws, zoneName);
  if (existing) return existing;
  const route53 = route53Client(aws);
  const name = fqdn(zoneName);

  const created = await route53.send(
    new CreateHostedZoneCommand({ Name: name, CallerReference: `fleetshift-${Date.now()}` }),
  );
  const id = created.HostedZone?.Id;
  if (!id) throw new Error(`moto created no hosted zone for ${name}`);
  return id.replace('/hostedzone/', '');
}

async function upsertWeightedRecords(
  aws: AwsTarget,
  hostedZoneId: string,
  description: SandboxResourcesDescription,
): Promise<void> {
  const weights = description.weights ?? { legacy: 100, 'iot-core': 0 };
  const changes: Change[] = (['legacy', 'iot-core'] as const).map((broker) => ({
    Action: 'UPSERT',
    ResourceRecordSet: {
      Name: fqdn(description.recordName),
      Type: 'CNAME',
      SetIdentifier: broker,
      Weight: weights[broker],
      TTL: description.ttlSeconds ?? 5,
      ResourceRecords: [{ Value: fqdn(description.targets[broker]) }],
    },
  }));
  await route53Client(aws).send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId,
      ChangeBatch: { Comment: 'fleetshift sandbox', Changes: changes },
    }),
  );
}

async function ensureService(
  aws: AwsTarget,
  cluster: string,
  service: ServiceDescription,
  taskDefinition: string,
): Promise<void> {
  const ecs = ecsClient(aws);
  const existing = await ecs.send(
    new DescribeServicesCommand({ cluster, services: [service.name] }),
  );
  const active = existing.services?.find((s) => s.status === 'ACTIVE');
  if (active) {
    await ecs.send(
      new UpdateServiceCommand({
        cluster,
        service: service.name,
        taskDefinition,
        desiredCount: service.desiredCount,
      }),
    );
  } else {
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: service.name,
        taskDefinition,
        desiredCount: service.desiredCount,
      }),
    );
  }
  ecs.destroy();
}

/** The ECS service description of a sample backend, legacy or migrated. */
export function backendServiceDescription(
  name: string,
  broker: BrokerName,
  desiredCount: number,
  environment: Record<string, string> = {},
): ServiceDescription {
  return {
    name,
    command: ['node', 'bin/fleetshift.js', 'sandbox', 'backend', '--broker', broker],
    environment,
    desiredCount,
  };
}

/**
 * The ECS service description of one bridge direction; the bridge reads its direction, brokers
 * and topics from the config file.
 */
export function bridgeServiceDescription(
  name: string,
  configFile: string,
  desiredCount: number,
  environment: Record<string, string> = {},
): ServiceDescription {
  return {
    name,
    command: bridgeCommand(configFile),
    environment,
    desiredCount,
  };
}
