import {
  CloudWatchClient,
  GetMetricDataCommand,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  ChangeResourceRecordSetsCommand,
  CreateHostedZoneCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
} from '@aws-sdk/client-route-53';

import { emulatorOptions } from '../../support/sandbox';

const unique = (): string => `${Date.now()}-${Math.random().toString(16).slice(2, 6)}`;

describe('the AWS SDK v3 clients on moto', () => {
  it('round-trip weighted Route 53 records in one change batch', async () => {
    const route53 = new Route53Client(emulatorOptions());
    const zone = await route53.send(
      new CreateHostedZoneCommand({ Name: 'fleet.sandbox.', CallerReference: unique() }),
    );
    const zoneId = zone.HostedZone!.Id!;
    const weighted = (id: string, target: string, weight: number) => ({
      Action: 'UPSERT' as const,
      ResourceRecordSet: {
        Name: 'mqtt.fleet.sandbox.',
        Type: 'CNAME' as const,
        SetIdentifier: id,
        Weight: weight,
        TTL: 5,
        ResourceRecords: [{ Value: target }],
      },
    });

    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            weighted('legacy', 'legacy.broker.sandbox.', 95),
            weighted('iot-core', 'iot-core.broker.sandbox.', 5),
          ],
        },
      }),
    );

    const listed = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId }));
    const weights = Object.fromEntries(
      (listed.ResourceRecordSets ?? [])
        .filter((r) => r.SetIdentifier)
        .map((r) => [r.SetIdentifier, r.Weight]),
    );
    expect(weights).toEqual({ legacy: 95, 'iot-core': 5 });
  });

  it('round-trips an ECS service desired count', async () => {
    const ecs = new ECSClient(emulatorOptions());
    const cluster = `foundation-${unique()}`;
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'backend',
        containerDefinitions: [
          { name: 'backend', image: 'local', memory: 128, command: ['node', '--version'] },
        ],
      }),
    );
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: 'telemetry-legacy',
        taskDefinition: 'backend',
        desiredCount: 4,
      }),
    );

    await ecs.send(
      new UpdateServiceCommand({ cluster, service: 'telemetry-legacy', desiredCount: 3 }),
    );

    const described = await ecs.send(
      new DescribeServicesCommand({ cluster, services: ['telemetry-legacy'] }),
    );
    expect(described.services?.[0].desiredCount).toBe(3);
  });

  it('round-trips CloudWatch metrics in the protocol the client speaks', async () => {
    const cloudwatch = new CloudWatchClient(emulatorOptions());
    const namespace = `fleetshift/Foundation/${unique()}`;
    const now = new Date();
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: [{ MetricName: 'Connect.Success', Value: 42, Unit: 'Count', Timestamp: now }],
      }),
    );

    const data = await cloudwatch.send(
      new GetMetricDataCommand({
        StartTime: new Date(now.getTime() - 5 * 60_000),
        EndTime: new Date(now.getTime() + 60_000),
        MetricDataQueries: [
          {
            Id: 'connects',
            MetricStat: {
              Metric: { Namespace: namespace, MetricName: 'Connect.Success' },
              Period: 60,
              Stat: 'Sum',
            },
          },
        ],
      }),
    );
    expect(data.MetricDataResults?.[0].Values).toEqual([42]);
  });
});
