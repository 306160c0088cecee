import { type BridgeHandle } from '../../../bridge';
import {
  startIotCoreBroker,
  startLegacyBroker,
  type TestBroker,
  type TestIotCoreBroker,
} from '../../support/brokers';
import { type RecordingClient } from '../../support/mqtt-clients';
import { bridgeConfigInput, iotClient, legacyClient, runBridge, settle, waitFor } from './fixtures';

// While the downstream broker does not answer, the upstream broker would keep sending; the
// Receive Maximum the bridge announces makes it stop, so the bridge holds a bounded number of
// messages and the rest wait in the broker's session. Mosquitto 2.0.11 keeps to it during the
// stall but sends everything queued at once when the first acks arrive; the bridge then stops
// reading the socket until it is back under the maximum.
describe('messages the bridge holds while the downstream stalls', () => {
  let legacy: TestBroker;
  let iot: TestIotCoreBroker;
  let bridge: BridgeHandle;
  let device: RecordingClient;
  let backend: RecordingClient;

  beforeAll(async () => {
    legacy = await startLegacyBroker();
    iot = await startIotCoreBroker();
    const input = bridgeConfigInput(legacy, iot, { upstream: { receiveMaximum: 40 } });
    bridge = await runBridge(input);
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

  it('holds at most the receive maximum, and delivers everything once it answers', async () => {
    iot.pause();
    let mostHeld = 0;
    const sampling = setInterval(() => {
      mostHeld = Math.max(mostHeld, bridge.health().inFlight);
    }, 20);
    try {
      await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          device.client.publishAsync(`dev/h/${i}`, String(i), { qos: 1 }),
        ),
      );
      await settle(2000);
    } finally {
      iot.resume();
    }

    await waitFor(
      () => new Set(backend.received.map((m) => m.topic)).size === 300,
      'all 300 delivered',
      20_000,
    );
    clearInterval(sampling);
    expect(mostHeld).toBeGreaterThanOrEqual(40);
    // The maximum, plus the one message that shows the broker went past it.
    expect(mostHeld).toBeLessThanOrEqual(41);
  });
});
