import { type BridgeHandle } from '../../../bridge';
import { bridgeConfigInput, runBridge, settle, useBrokerScene, waitFor } from './fixtures';

// While the downstream broker does not answer, the upstream broker would keep sending; the
// Receive Maximum the bridge announces makes it stop, so the bridge holds a bounded number of
// messages and the rest wait in the broker's session. Mosquitto 2.0.11 keeps to it during the
// stall but sends everything queued at once when the first acks arrive; the bridge then stops
// reading the socket until it is back under the maximum.
describe('messages the bridge holds while the downstream stalls', () => {
  const scene = useBrokerScene();
  let bridge: BridgeHandle;

  beforeAll(async () => {
    const input = bridgeConfigInput(scene.legacy, scene.iot, { upstream: { receiveMaximum: 40 } });
    bridge = await runBridge(input);
  });

  afterAll(async () => {
    await bridge.stop();
  });

  it('holds at most the receive maximum, and delivers everything once it answers', async () => {
    scene.iot.pause();
    let mostHeld = 0;
    const sampling = setInterval(() => {
      mostHeld = Math.max(mostHeld, bridge.health().inFlight);
    }, 20);
    try {
      await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          scene.device.client.publishAsync(`dev/h/${i}`, String(i), { qos: 1 }),
        ),
      );
      await settle(2000);
    } finally {
      scene.iot.resume();
    }

    await waitFor(
      () => new Set(scene.backend.received.map((m) => m.topic)).size === 300,
      'all 300 delivered',
      20_000,
    );
    clearInterval(sampling);
    expect(mostHeld).toBeGreaterThanOrEqual(40);
    // The maximum, plus the one message that shows the broker went past it.
    expect(mostHeld).toBeLessThanOrEqual(41);
  });
});
