import { type BridgeHandle } from '../../../bridge';
import { bridgeConfigInput, runBridge, useBrokerScene, waitFor } from './fixtures';

// A payload well within IoT Core's 128 KiB can still make a packet larger than the broker's
// Maximum Packet Size once its user properties are counted. A broker drops the connection of
// a client that sends one; sent again after every reconnect, it would block its lane for good.
describe('bridge and the downstream maximum packet size', () => {
  const scene = useBrokerScene({ iot: { extraConfig: ['max_packet_size 4096'] } });
  let bridge: BridgeHandle;

  beforeAll(async () => {
    bridge = await runBridge(bridgeConfigInput(scene.legacy, scene.iot));
  });

  afterAll(async () => {
    await bridge.stop();
  });

  it('dead-letters a packet over the limit instead of sending it, and keeps every lane up', async () => {
    const reconnectsBefore = await downstreamReconnects(bridge);

    await scene.device.client.publishAsync('dev/1/heavy', Buffer.alloc(3000, 1), {
      qos: 1,
      properties: { userProperties: { trace: 'x'.repeat(2000) } },
    });
    for (let i = 0; i < 10; i += 1) {
      await scene.device.client.publishAsync(`dev/1/after/${i}`, 'small', { qos: 1 });
    }

    await waitFor(() => scene.backend.received.length === 10, 'the ten small messages');
    await waitFor(
      () => bridge.metrics.deadLetteredByReason['downstream-refused'] === 1,
      'the heavy one dead-lettered',
    );
    await waitFor(() => bridge.health().inFlight === 0, 'every ack released');
    expect(scene.backend.received.map((m) => m.topic)).not.toContain('dev/1/heavy');
    expect(bridge.health().downstreamConnected).toBe(2);
    expect(await downstreamReconnects(bridge)).toBe(reconnectsBefore);
  });
});

/** The bridge's downstream reconnect count, as /metrics reports it. */
async function downstreamReconnects(bridge: BridgeHandle): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${bridge.httpPort}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('fleetshift_bridge_reconnects_total') && l.includes('downstream'));
  return line ? Number(line.split(' ').pop()) : 0;
}
