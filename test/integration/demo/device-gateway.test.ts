import { sandboxBrokerTargets, startDnsServer, startFleet } from '../../../sandbox/dataplane';
import { startDeviceGateway } from '../../../sandbox/demo';
import { eventually } from '../../support/mqtt-clients';
import { testSandbox } from '../../support/sandbox';

jest.setTimeout(60_000);

/** The demo's chaos fails the IoT Core endpoint for devices through this gateway. */
describe('the device gateway in front of the IoT Core stand-in', () => {
  it('refuses device connections until it ends, counted as Connect.ClientError', async () => {
    const config = testSandbox();
    const gateway = await startDeviceGateway(config.ports.iotCoreMqtts);
    const dns = await startDnsServer({
      recordName: 'mqtt.gateway.sandbox',
      source: async () => [
        { setIdentifier: 'iot-core', weight: 1, target: 'iot-core.broker.sandbox.', ttlSeconds: 5 },
      ],
    });
    const brokers = sandboxBrokerTargets(config);
    const iotCore = { ...brokers['iot-core'], url: `mqtts://127.0.0.1:${gateway.port}` };
    const fleet = startFleet({
      devices: 3,
      dns: { server: dns.address, recordName: 'mqtt.gateway.sandbox' },
      brokers: { legacy: brokers.legacy, 'iot-core': iotCore },
      idPrefix: `gateway-${process.pid}`,
      reconnectEveryMs: 0,
    });
    const counts = (): ReturnType<typeof fleet.snapshot> => fleet.snapshot();

    try {
      await eventually(() => counts().connected['iot-core'] === 3, 'devices on IoT Core', 20_000);

      gateway.refuse();
      await eventually(() => counts().connected['iot-core'] === 0, 'devices cut off');
      await eventually(
        () => counts().connects['iot-core'].ClientError >= 3,
        'refused reconnects',
        15_000,
      );
      expect(counts().connects['iot-core'].AuthError).toBe(0);

      gateway.accept();
      await eventually(() => counts().connected['iot-core'] === 3, 'devices back', 40_000);
    } finally {
      await fleet.stop(0);
      await dns.stop();
      await gateway.stop();
    }
  });
});
