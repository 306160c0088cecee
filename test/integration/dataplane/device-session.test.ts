// A device whose session exists on the broker without its command subscription, as a
// connection cut between CONNACK and SUBSCRIBE leaves it: it must still get its commands.
import mqtt from 'mqtt';

import { emptyFleetCounters, TOPICS } from '../../../sandbox/dataplane';
import { SimulatedDevice } from '../../../sandbox/dataplane/device';
import { startLegacyBroker, type TestBroker } from '../../support/brokers';
import { waitFor } from './fixtures';

jest.setTimeout(30_000);

describe('a simulated device resuming a session', () => {
  let broker: TestBroker;

  beforeAll(async () => {
    broker = await startLegacyBroker();
  });
  afterAll(async () => {
    await broker.stop();
  });

  it.each([4, 5] as const)(
    'MQTT %i: receives commands although its session had lost the subscription',
    async (protocolVersion) => {
      const id = `device-resume-${protocolVersion}`;
      // The session as a cut left it: present, persistent, and subscribed to nothing.
      const earlier = await mqtt.connectAsync(broker.url, {
        clientId: id,
        protocolVersion,
        clean: false,
        ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
      });
      await earlier.endAsync();

      const counters = emptyFleetCounters(1);
      const device = new SimulatedDevice({
        id,
        protocolVersion,
        resolveBroker: async () => ({ broker: 'legacy', url: broker.url }),
        counters,
        runToken: 'resume',
        telemetryIntervalMs: 60_000,
        reconnectEveryMs: 0,
      });
      device.start();
      const backend = await mqtt.connectAsync(broker.url, { clientId: `${id}-backend` });
      try {
        await waitFor(() => counters.connected.legacy === 1, 'the device connected');
        const command = { id: `${id}.c1`, device: id, issuer: 'test', attempt: 1 };
        // Sent until it arrives: the device's SUBSCRIBE may still be on its way.
        await waitFor(
          async () => {
            await backend.publishAsync(TOPICS.command(id), JSON.stringify(command), { qos: 1 });
            return counters.commandsReceived > 0;
          },
          'the command received',
          5_000,
        );
      } finally {
        await backend.endAsync();
        await device.stop();
      }
    },
  );
});
