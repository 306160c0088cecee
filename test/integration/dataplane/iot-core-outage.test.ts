import { LOOPBACK, type SandboxConfig, sandboxServices } from '../../../sandbox';
import {
  type DnsServerHandle,
  type FleetHandle,
  sandboxBrokerTargets,
  startDnsServer,
  startFleet,
  startIotCoreOutage,
} from '../../../sandbox/dataplane';
import { waitUntil } from '../../../sandbox/health';
import { runningProcess, startDetached, stopProcess } from '../../../sandbox/processes';
import { testSandbox } from '../../support/sandbox';
import { freePort, tempDir, waitFor } from './fixtures';

jest.setTimeout(60_000);

/**
 * The outage stops a broker, so this test runs its own IoT Core stand-in (own folder, own CA,
 * free port) rather than the shared one other tests use at the same time.
 */
describe('an IoT Core outage for chaos', () => {
  let config: SandboxConfig;
  let dns: DnsServerHandle;
  let fleet: FleetHandle;

  beforeAll(async () => {
    const shared = testSandbox();
    config = {
      home: tempDir('outage'),
      host: LOOPBACK,
      ports: { ...shared.ports, iotCoreMqtts: await freePort() },
    };
    const iotCore = sandboxServices(config).find((s) => s.name === 'iot-core')!;
    startDetached(config.home, iotCore.prepare());
    expect(await waitUntil(() => iotCore.healthy(), 20_000)).toBe(true);

    dns = await startDnsServer({
      recordName: 'mqtt.outage.sandbox',
      source: async () => [
        { setIdentifier: 'iot-core', weight: 1, target: 'iot-core.broker.sandbox.', ttlSeconds: 5 },
      ],
    });
    fleet = startFleet({
      devices: 3,
      dns: { server: dns.address, recordName: 'mqtt.outage.sandbox' },
      brokers: sandboxBrokerTargets(config),
      idPrefix: 'outage',
      reconnectEveryMs: 0,
    });
  });
  afterAll(async () => {
    await fleet?.stop(0);
    await dns?.stop();
    const record = runningProcess(config.home, 'iot-core');
    if (record) await stopProcess(config.home, record);
  });

  it('refuses device connections until it ends, counted as Connect.ClientError', async () => {
    await waitFor(() => fleet.snapshot().connected['iot-core'] === 3, 'devices on IoT Core');

    const outage = await startIotCoreOutage(config);
    await waitFor(() => fleet.snapshot().connected['iot-core'] === 0, 'devices cut off');
    await waitFor(
      () => fleet.snapshot().connects['iot-core'].ClientError >= 3,
      'refused reconnects',
      15_000,
    );
    expect(fleet.snapshot().connects['iot-core'].AuthError).toBe(0);

    await outage.stop();
    await waitFor(() => fleet.snapshot().connected['iot-core'] === 3, 'devices back', 40_000);
  });
});
