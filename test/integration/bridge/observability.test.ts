import { CloudWatchClient, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';

import { type BridgeHandle } from '../../../bridge';
import { emulatorOptions, testEndpoints } from '../../support/sandbox';
import { bridgeConfigInput, runBridge, useBrokerScene, waitFor } from './fixtures';

jest.setTimeout(30_000);

describe('bridge health, metrics, CloudWatch and the S3 dead-letter store', () => {
  const suffix = `${Date.now()}-${Math.random().toString(16).slice(2, 6)}`;
  const bucket = `fleetshift-dead-letter-${suffix}`;
  const namespace = `fleetshift/BridgeTest-${suffix}`;
  const scene = useBrokerScene({ backendName: 'observer' });
  let bridge: BridgeHandle;

  beforeAll(async () => {
    await new S3Client({ ...emulatorOptions(), forcePathStyle: true }).send(
      new CreateBucketCommand({ Bucket: bucket }),
    );
    bridge = await runBridge(
      bridgeConfigInput(scene.legacy, scene.iot, {
        deadLetter: { kind: 's3', bucket, prefix: 'dl/', endpoint: testEndpoints().awsEndpoint },
        cloudWatch: { endpoint: testEndpoints().awsEndpoint, namespace, intervalSeconds: 1 },
      }),
    );
  });

  afterAll(async () => {
    await bridge.stop();
  });

  it('forwards, dead-letters to S3, and reports both in /healthz, /metrics and CloudWatch', async () => {
    const started = new Date(Date.now() - 60_000);
    for (let n = 0; n < 5; n += 1)
      await scene.device.client.publishAsync(`dev/o/${n}`, 'x', { qos: 1 });
    await scene.device.client.publishAsync('dev/o/big', Buffer.alloc(140_000), { qos: 1 });
    await waitFor(
      () => scene.backend.received.length === 5 && bridge.metrics.totals.deadLettered === 1,
      'five and one',
    );

    const health = await fetch(`http://127.0.0.1:${bridge.httpPort}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      status: 'ok',
      upstreamConnected: 1,
      downstreamConnected: 2,
      inFlight: 0,
      totals: { forwarded: 5, acked: 6, deadLettered: 1 },
    });

    const text = await (await fetch(`http://127.0.0.1:${bridge.httpPort}/metrics`)).text();
    expect(text).toContain('fleetshift_bridge_forwarded_total{direction="device-to-backend"} 5');
    expect(text).toContain(
      'fleetshift_bridge_dead_lettered_total{direction="device-to-backend",reason="payload-too-large"} 1',
    );
    expect(text).toContain('fleetshift_bridge_in_flight{direction="device-to-backend"} 0');
    expect(text).toMatch(
      /fleetshift_bridge_connection_up\{direction="device-to-backend",side="downstream",connection="1"\} 1/,
    );
    expect(text).toContain(
      'fleetshift_bridge_forward_latency_seconds_count{direction="device-to-backend"} 5',
    );

    const s3 = new S3Client({ ...emulatorOptions(), forcePathStyle: true });
    const listed = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: 'dl/device-to-backend/payload-too-large/',
      }),
    );
    expect(listed.KeyCount).toBe(1);
    const object = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: listed.Contents?.[0].Key }),
    );
    const record = JSON.parse(await (object.Body?.transformToString() ?? Promise.resolve('{}')));
    expect(record).toMatchObject({ topic: 'dev/o/big', reason: 'payload-too-large', qos: 1 });

    const cloudWatch = new CloudWatchClient(emulatorOptions());
    // GetMetricStatistics: moto's GetMetricData was seen summing same-named metrics across
    // namespaces, which would mix in other test runs.
    const sum = async (name: string): Promise<number> => {
      const result = await cloudWatch.send(
        new GetMetricStatisticsCommand({
          Namespace: namespace,
          MetricName: name,
          Dimensions: [{ Name: 'Direction', Value: 'device-to-backend' }],
          StartTime: started,
          EndTime: new Date(Date.now() + 600_000),
          Period: 3600,
          Statistics: ['Sum'],
        }),
      );
      return (result.Datapoints ?? []).reduce((a, b) => a + (b.Sum ?? 0), 0);
    };
    const deadline = Date.now() + 10_000;
    while ((await sum('Forwarded')) < 5 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 500));
    expect(await sum('Forwarded')).toBe(5);
    expect(await sum('DeadLettered')).toBe(1);
  });
});
