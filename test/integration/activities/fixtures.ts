// Builders for the AWS resources the activities expect to exist (in production the platform
// team creates them; in these tests we create them in the shared moto with unique names).
import { randomBytes } from 'node:crypto';
import path from 'node:path';

import {
  CreateClusterCommand,
  CreateServiceCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { CreateHostedZoneCommand } from '@aws-sdk/client-route-53';

import { type AwsTarget, awsClients } from '../../../activities';
import { parsePlan, type MigrationPlan, type MigrationPlanInput } from '../../../plan';
import { pkiDir } from '../../../sandbox';
import { iotCoreTls, testEndpoints, testSandbox } from '../../support/sandbox';
import { issueClientCertificate } from '../../../sandbox';

/** The shared test moto, with the static sandbox credentials. */
export function motoTarget(): AwsTarget {
  return {
    region: 'us-east-1',
    endpoint: testEndpoints().awsEndpoint,
    accessKeyId: 'sandbox',
    secretAccessKey: 'sandbox',
  };
}

/** A short random suffix so tests sharing moto never see each other's resources. */
export function uniqueSuffix(): string {
  return randomBytes(4).toString('hex');
}

/** Creates a hosted zone and returns its name. */
export async function createZone(aws: AwsTarget, name: string): Promise<string> {
  await awsClients(aws).route53.send(
    new CreateHostedZoneCommand({ Name: name, CallerReference: `${name}-${uniqueSuffix()}` }),
  );
  return name;
}

/** Creates a cluster and services (desired count 0 unless given) with one task definition. */
export async function createServices(
  aws: AwsTarget,
  cluster: string,
  services: Record<string, number>,
): Promise<void> {
  const { ecs } = awsClients(aws);
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const family = `${cluster}-task`;
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family,
      containerDefinitions: [{ name: 'main', image: 'local', memory: 64, command: ['true'] }],
    }),
  );
  for (const [serviceName, desiredCount] of Object.entries(services)) {
    await ecs.send(
      new CreateServiceCommand({ cluster, serviceName, taskDefinition: family, desiredCount }),
    );
  }
}

/** A plan aimed at the shared test stack, with the canary's client certificate issued. */
export function testPlan(overrides: MigrationPlanInput = {}): MigrationPlan {
  const endpoints = testEndpoints();
  const dir = pkiDir(testSandbox());
  iotCoreTls('fleetshift-workflows-test');
  const client = issueClientCertificate(dir, 'fleetshift-workflows-test');
  const result = parsePlan({
    ...overrides,
    brokers: {
      legacy: { url: endpoints.legacyBrokerUrl },
      iotCore: {
        url: endpoints.iotCoreBrokerUrl,
        caFile: path.join(dir, 'ca.crt'),
        certFile: client.cert,
        keyFile: client.key,
      },
    },
    aws: { endpoint: endpoints.awsEndpoint },
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.plan;
}
