import { type BridgeHandle } from '../../../bridge';
import {
  startIotCoreBroker,
  startLegacyBroker,
  type TestBroker,
  type TestIotCoreBroker,
} from '../../support/brokers';
import { type RecordingClient } from '../../support/mqtt-clients';
import { bridgeConfigInput, iotClient, legacyClient, runBridge, waitFor } from './fixtures';

// A message waits in the bridge while the downstream connections are at their publish rate.
// That wait is time spent in the bridge: its expiry shrinks by it, and once nothing is left
// the message goes to the dead-letter store instead of downstream.
describe('bridge message expiry while messages wait for a downstream lane', () => {
  let legacy: TestBroker;
  let iot: TestIotCoreBroker;
  let bridge: BridgeHandle;
  let device: RecordingClient;
  let backend: RecordingClient;

  beforeAll(async () => {
    legacy = await startLegacyBroker();
    iot = await startIotCoreBroker();
    bridge = await runBridge(
      bridgeConfigInput(legacy, iot, {
        // One token at a time, about nine a second: 30 messages take over three seconds.
        downstream: { connections: 1, publishesPerSecond: 10, maxInFlight: 100 },
      }),
    );
    device = await legacyClient(legacy);
    backend = await iotClient(iot, 'backend');
    await backend.client.subscribeAsync('dev/#', { qos: 1 });
  });

  afterAll(async () => {
    await device.client.endAsync();
    await backend.client.endAsync();
    await bridge.stop();
    await iot.stop();
    await legacy.stop();
  });

  it('reduces the expiry by the wait and dead-letters what expired waiting', async () => {
    const sent = 30;
    await Promise.all(
      Array.from({ length: sent }, (_, i) =>
        device.client.publishAsync(`dev/1/e/${i}`, String(i), {
          qos: 1,
          properties: { messageExpiryInterval: 2 },
        }),
      ),
    );

    await waitFor(() => bridge.health().inFlight === 0, 'every message forwarded or dead-lettered');
    const expired = bridge.metrics.deadLetteredByReason.expired;
    const forwarded = backend.received.length;
    expect(forwarded + expired).toBe(sent);
    expect(forwarded).toBeGreaterThanOrEqual(5);
    expect(expired).toBeGreaterThanOrEqual(10);
    const expiries = backend.received.map((m) => m.properties?.messageExpiryInterval);
    expect(expiries[0]).toBe(2);
    // Those that waited over half a second left with one second.
    expect(expiries.slice(8)).toEqual(expiries.slice(8).map(() => 1));
  });
});
