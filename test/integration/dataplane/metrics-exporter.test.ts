import { GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';

import { loadSandboxConfig } from '../../../sandbox';
import {
  cloudWatchClient,
  emptyFleetCounters,
  type MetricsExporterHandle,
  sandboxBrokerTargets,
  startMetricsExporter,
} from '../../../sandbox/dataplane';
import { connectRecording } from '../../support/mqtt-clients';
import { testEndpoints } from '../../support/sandbox';
import { testAws, unique, waitFor } from './fixtures';

jest.setTimeout(120_000);

describe('the metrics exporter', () => {
  let exporter: MetricsExporterHandle;
  const fleet = emptyFleetCounters(0);
  // Only this run's data points: earlier runs wrote to the same emulator and region.
  const startedAt = new Date();

  beforeAll(async () => {
    exporter = await startMetricsExporter({
      aws: testAws(),
      brokers: sandboxBrokerTargets(loadSandboxConfig(), 'sandbox-metrics'),
      fleet: () => fleet,
      intervalMs: 60_000, // the test exports by hand
    });
  });
  afterAll(() => exporter?.stop());

  it('puts broker statistics and fleet counters where GetMetricData reads them', async () => {
    // The brokers publish $SYS every 5 s: wait until every broker figure has a baseline, so
    // that the traffic below counts as a difference and not as the first reading.
    const wanted: Record<string, string[]> = {
      'fleetshift/LegacyBroker': ['PublishIn.Success', 'ConnectedClients'],
      'AWS/IoT': ['PublishIn.Success', 'PublishOut.Success'],
    };
    let missing: string[] = [];
    await waitFor(
      async () => {
        const batch = await exporter.exportNow();
        missing = Object.entries(wanted).flatMap(([namespace, names]) =>
          names
            .filter((n) => !batch[namespace].some((d) => d.MetricName === n))
            .map((n) => `${namespace}/${n}`),
        );
        return missing.length === 0;
      },
      'broker statistics',
      // Several $SYS intervals: on a loaded machine (the whole suite at once) some are late.
      60_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; still missing ${missing.join(', ')}`);
    });

    // Traffic on the legacy broker while the fleet counts 7 IoT Core connects and 2 refusals.
    const publisher = await connectRecording(testEndpoints().legacyBrokerUrl);
    for (let i = 0; i < 5; i++) await publisher.client.publishAsync(unique('m/t'), 'x', { qos: 1 });
    fleet.connects['iot-core'].Success += 7;
    fleet.connects['iot-core'].ClientError += 2;
    // Mosquitto reports $SYS every 5 s (later when the machine is busy): export until the
    // broker's count of received messages has moved by our 5 at least.
    let published = 0;
    await waitFor(
      async () => {
        const batch = await exporter.exportNow();
        const received = batch['fleetshift/LegacyBroker'].find(
          (d) => d.MetricName === 'PublishIn.Success',
        );
        published += received?.Value ?? 0;
        return published >= 5;
      },
      'the legacy broker to count the publishes',
      20_000,
    );
    await publisher.client.endAsync();

    const sums = await readSums([
      ['AWS/IoT', 'Connect.Success'],
      ['AWS/IoT', 'Connect.ClientError'],
      ['AWS/IoT', 'Connect.AuthError'],
      ['fleetshift/LegacyBroker', 'PublishIn.Success'],
      ['fleetshift/LegacyBroker', 'ConnectedClients'],
    ]);
    expect(sums['AWS/IoT/Connect.Success']).toBe(7);
    expect(sums['AWS/IoT/Connect.ClientError']).toBe(2);
    expect(sums['AWS/IoT/Connect.AuthError']).toBe(0);
    expect(sums['fleetshift/LegacyBroker/PublishIn.Success']).toBeGreaterThanOrEqual(5);
    expect(sums['fleetshift/LegacyBroker/ConnectedClients']).toBeGreaterThan(0);
  });

  async function readSums(metrics: [string, string][]): Promise<Record<string, number>> {
    const queries: MetricDataQuery[] = metrics.map(([namespace, name], i) => ({
      Id: `m${i}`,
      MetricStat: {
        Metric: { Namespace: namespace, MetricName: name },
        Period: 3600,
        Stat: name === 'ConnectedClients' ? 'Maximum' : 'Sum',
      },
    }));
    const cloudWatch = cloudWatchClient(testAws());
    const out = await cloudWatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: startedAt,
        EndTime: new Date(Date.now() + 60_000),
      }),
    );
    cloudWatch.destroy();
    const sums: Record<string, number> = {};
    for (const result of out.MetricDataResults ?? []) {
      const [namespace, name] = metrics[Number(result.Id?.slice(1))];
      sums[`${namespace}/${name}`] = (result.Values ?? []).reduce((a, b) => a + b, 0);
    }
    return sums;
  }
});
