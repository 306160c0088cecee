import { type BridgeHandle } from '../../../bridge';
import { bridgeConfigInput, runBridge, useBrokerScene, waitFor } from './fixtures';

// A message waits in the bridge while the downstream connections are at their publish rate.
// That wait is time spent in the bridge: its expiry shrinks by it, and once nothing is left
// the message goes to the dead-letter store instead of downstream.
describe('bridge message expiry while messages wait for a downstream lane', () => {
  const scene = useBrokerScene();
  let bridge: BridgeHandle;

  beforeAll(async () => {
    bridge = await runBridge(
      bridgeConfigInput(scene.legacy, scene.iot, {
        // One token at a time, about nine a second: 30 messages take over three seconds.
        downstream: { connections: 1, publishesPerSecond: 10, maxInFlight: 100 },
      }),
    );
  });

  afterAll(async () => {
    await bridge.stop();
  });

  it('reduces the expiry by the wait and dead-letters what expired waiting', async () => {
    const sent = 30;
    await Promise.all(
      Array.from({ length: sent }, (_, i) =>
        scene.device.client.publishAsync(`dev/1/e/${i}`, String(i), {
          qos: 1,
          properties: { messageExpiryInterval: 2 },
        }),
      ),
    );

    await waitFor(() => bridge.health().inFlight === 0, 'every message forwarded or dead-lettered');
    const expired = bridge.metrics.deadLetteredByReason.expired;
    const forwarded = scene.backend.received.length;
    expect(forwarded + expired).toBe(sent);
    expect(forwarded).toBeGreaterThanOrEqual(5);
    expect(expired).toBeGreaterThanOrEqual(10);
    const expiries = scene.backend.received.map((m) => m.properties?.messageExpiryInterval);
    expect(expiries[0]).toBe(2);
    // Those that waited over half a second left with one second.
    expect(expiries.slice(8)).toEqual(expiries.slice(8).map(() => 1));
  });
});
