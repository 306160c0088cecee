import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';

import { loadSandboxConfig } from '../../../sandbox';
import {
  type BrokerName,
  createSandboxResources,
  type DnsServerHandle,
  type FleetHandle,
  route53Client,
  sandboxBrokerTargets,
  type SandboxResourcesHandle,
  startDnsServer,
  startFleet,
} from '../../../sandbox/dataplane';
import { connectRecording, type RecordingClient } from '../../support/mqtt-clients';
import { iotCoreTls, testEndpoints } from '../../support/sandbox';
import { resourcesFixture, testAws, unique, waitFor } from './fixtures';

jest.setTimeout(60_000);

describe('the fleet simulator', () => {
  const description = resourcesFixture({ weights: { legacy: 100, 'iot-core': 0 } });
  const prefix = unique('dev');
  let resources: SandboxResourcesHandle;
  let dns: DnsServerHandle;
  let fleet: FleetHandle;
  const watchers: Partial<Record<BrokerName, RecordingClient>> = {};

  beforeAll(async () => {
    resources = await createSandboxResources(testAws(), description);
    dns = await startDnsServer({
      recordName: description.recordName,
      route53: { aws: testAws(), hostedZoneId: resources.hostedZoneId },
      refreshMs: 200,
    });
    // Watch telemetry on each broker: the brokers, not the simulator, say where devices are.
    watchers.legacy = await connectRecording(testEndpoints().legacyBrokerUrl);
    watchers['iot-core'] = await connectRecording(testEndpoints().iotCoreBrokerUrl, iotCoreTls());
    for (const watcher of Object.values(watchers)) {
      await watcher.client.subscribeAsync('fleet/+/telemetry', { qos: 1 });
    }

    const brokers = sandboxBrokerTargets(loadSandboxConfig());
    brokers.legacy.target = description.targets.legacy;
    brokers['iot-core'].target = description.targets['iot-core'];
    fleet = startFleet({
      devices: 20,
      dns: { server: dns.address, recordName: description.recordName },
      brokers,
      idPrefix: prefix,
      telemetryIntervalMs: 300,
      reconnectEveryMs: 1500,
    });
  });
  afterAll(async () => {
    await fleet?.stop(1000);
    for (const watcher of Object.values(watchers)) await watcher.client.endAsync();
    await dns?.stop();
    await resources?.stop();
  });

  const devicesSeenOn = (broker: BrokerName, since = 0): Set<string> =>
    new Set(
      (watchers[broker]?.received ?? [])
        .slice(since)
        .map((m) => m.topic.split('/')[1])
        .filter((device) => device.startsWith(prefix)),
    );

  it('connects every device to the broker the DNS weights name, with a 70/30 protocol mix', async () => {
    await waitFor(() => fleet.snapshot().connected.legacy === 20, 'all devices on legacy');
    expect(fleet.snapshot().mqtt5Devices).toBe(6);
    expect(fleet.snapshot().connected['iot-core']).toBe(0);
    await waitFor(() => devicesSeenOn('legacy').size === 20, 'telemetry of every device');
    expect(devicesSeenOn('iot-core').size).toBe(0);
  });

  it('moves devices to IoT Core as they reconnect after the weights change', async () => {
    const mark = watchers['iot-core']!.received.length;
    await setWeights(resources.hostedZoneId, description, { legacy: 0, 'iot-core': 100 });
    await waitFor(() => fleet.snapshot().connected['iot-core'] === 20, 'all devices moved', 20_000);
    expect(fleet.snapshot().connected.legacy).toBe(0);
    await waitFor(() => devicesSeenOn('iot-core', mark).size === 20, 'telemetry on IoT Core');
    expect(fleet.snapshot().connects['iot-core'].Success).toBeGreaterThanOrEqual(20);
  });
});

async function setWeights(
  hostedZoneId: string,
  description: ReturnType<typeof resourcesFixture>,
  weights: Record<BrokerName, number>,
): Promise<void> {
  await route53Client(testAws()).send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: hostedZoneId,
      ChangeBatch: {
        Changes: (['legacy', 'iot-core'] as const).map((broker) => ({
          Action: 'UPSERT',
          ResourceRecordSet: {
            Name: description.recordName,
            Type: 'CNAME',
            SetIdentifier: broker,
            Weight: weights[broker],
            TTL: 5,
            ResourceRecords: [{ Value: description.targets[broker] }],
          },
        })),
      },
    }),
  );
}
