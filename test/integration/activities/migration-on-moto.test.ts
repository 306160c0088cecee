import { randomUUID } from 'node:crypto';

import { GetTopicRuleCommand } from '@aws-sdk/client-iot';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';

import { awsClients, describeServiceCounts, readDnsWeights } from '../../../activities';
import { createFleetWorker } from '../../../workers/worker';
import { fleetMigration } from '../../../workflows';
import { testEndpoints } from '../../support/sandbox';
import { createServices, createZone, testPlan, uniqueSuffix } from './fixtures';

jest.setTimeout(120_000);

describe('fleetMigration with the real activities', () => {
  it('migrates on moto and the sandbox brokers: DNS, ECS and the safety net end as planned', async () => {
    const suffix = uniqueSuffix();
    const cluster = `wf-e2e-${suffix}`;
    const plan = testPlan({
      name: `moto-${suffix}`,
      bridge: {
        cluster,
        deviceToBackend: { service: 'bridge-d2b', instances: 2 },
        backendToDevice: { service: 'bridge-b2d', instances: 1 },
        instancesPerMigratedInstance: 1,
      },
      backends: {
        cluster,
        services: [
          {
            name: 'telemetry',
            legacyService: 'telemetry-legacy',
            migratedService: 'telemetry-iot',
            instances: 2,
          },
        ],
      },
      dns: {
        hostedZoneName: `wf-${suffix}.sandbox.`,
        recordName: `mqtt.wf-${suffix}.sandbox.`,
        stepsPercent: [50, 100],
        soakSeconds: 0,
      },
      iotCore: { safetyNet: { ruleName: `wf_${suffix}`, bucket: `wf-${suffix}` } },
      canary: { enabled: false },
      cleanup: { zeroTrafficWindowSeconds: 0 },
    });
    await createZone(plan.aws, plan.dns.hostedZoneName);
    await createServices(plan.aws, cluster, {
      'bridge-d2b': 0,
      'bridge-b2d': 0,
      'telemetry-legacy': 2,
      'telemetry-iot': 0,
    });

    const address = testEndpoints().temporalAddress;
    const connection = await NativeConnection.connect({ address });
    const client = new Client({ connection: await Connection.connect({ address }) });
    const taskQueue = `moto-${randomUUID()}`;
    try {
      const worker = await createFleetWorker({ connection, taskQueue });
      const status = await worker.runUntil(
        client.workflow.execute(fleetMigration, { args: [plan], taskQueue, workflowId: taskQueue }),
      );
      expect(status.state).toBe('Succeeded');
    } finally {
      await connection.close();
      await client.connection.close();
    }

    expect(await readDnsWeights({ aws: plan.aws, dns: plan.dns })).toEqual({
      legacy: 0,
      iotCore: 100,
    });
    const counts = async (service: string): Promise<number> =>
      (await describeServiceCounts({ aws: plan.aws, cluster, service })).desired;
    expect(await counts('telemetry-legacy')).toBe(0);
    expect(await counts('telemetry-iot')).toBe(2);
    expect(await counts('bridge-d2b')).toBe(0);
    expect(await counts('bridge-b2d')).toBe(0);
    const rule = await awsClients(plan.aws).iot.send(
      new GetTopicRuleCommand({ ruleName: `wf_${suffix}` }),
    );
    expect(rule.rule?.actions?.[0].s3?.bucketName).toBe(`wf-${suffix}`);
  });
});
