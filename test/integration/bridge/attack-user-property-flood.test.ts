// Extra attack (found while attacking 7): one device message carrying 30,000 user properties
// (about 180 KB, which the legacy Mosquitto accepts and forwards). The bridge's PUBLISH decoder
// copies the whole ordered property list for every property it adds, so decoding takes time
// quadratic in their number, on the event loop every connection shares. Expected: the message
// is handled (it is over IoT Core's packet size, so dead-lettered) within a keepalive or two,
// and the traffic around it keeps flowing without reconnects.
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import { type BridgeHandle } from '../../../bridge';
import { PROJECT_ROOT } from '../../../sandbox';
import { bridgeConfigInput, runBridge, settle, useBrokerScene, waitFor } from './fixtures';

jest.setTimeout(60_000);

/** Publishes `n` numbered QoS 1 messages on dev/flood/normal, one every 250 ms, then exits 0. */
const PUBLISHER = `
const mqtt = require('mqtt');
const [url, n] = process.argv.slice(1);
const client = mqtt.connect(url, { clientId: 'flood-normal', reconnectPeriod: 0 });
client.on('error', (err) => { console.error(err.message); process.exit(1); });
client.on('connect', async () => {
  for (let i = 0; i < Number(n); i += 1) {
    await client.publishAsync('dev/flood/normal', String(i), { qos: 1 });
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await client.endAsync();
  process.exit(0);
});
`;

async function reconnects(bridge: BridgeHandle, side: string): Promise<number> {
  const metric = await bridge.metrics.reconnects.get();
  return metric.values.filter((v) => v.labels.side === side).reduce((s, v) => s + v.value, 0);
}

describe('attack: a message with very many user properties', () => {
  const scene = useBrokerScene({ backendName: 'flood-backend' });

  it('is handled without stalling the bridge', async () => {
    const input = bridgeConfigInput(scene.legacy, scene.iot, {
      instanceId: 'flood',
      sharedGroup: 'flood',
      drainTimeoutSeconds: 1,
    });
    input.legacy = { ...input.legacy, keepaliveSeconds: 2 };
    const bridge = await runBridge(input);
    const delay = monitorEventLoopDelay({ resolution: 20 });
    try {
      delay.enable();
      await scene.device.client.publishAsync('dev/flood/poison', 'x', {
        qos: 1,
        properties: { userProperties: { a: Array.from({ length: 30_000 }, () => '') } },
      });
      // Ordinary traffic behind it for 20 s, one message every 250 ms, from another process,
      // so that it does not wait for this event loop.
      const sent = 80;
      const publisher = spawn(
        process.execPath,
        ['-e', PUBLISHER, `mqtt://127.0.0.1:${scene.legacy.port}`, String(sent)],
        { cwd: PROJECT_ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
      );
      const publisherExit = await new Promise((resolve) => publisher.once('exit', resolve));
      expect(publisherExit).toBe(0);
      await settle(3000);
      await waitFor(
        () => bridge.metrics.deadLetteredByReason['downstream-refused'] >= 1,
        'the poison dead-lettered',
        3000,
      ).catch(() => undefined);
      delay.disable();
      const normal = new Set(
        scene.backend.received.filter((m) => m.topic === 'dev/flood/normal').map((m) => m.payload),
      );
      const up = await reconnects(bridge, 'upstream');
      console.log(
        `30,000 user properties: longest event-loop stall ${(delay.max / 1e6).toFixed(0)} ms, ` +
          `${up} upstream reconnects, poison redelivered ${bridge.metrics.totals.redelivered} times, ` +
          `dead-lettered ${bridge.metrics.totals.deadLettered}, ${normal.size}/${sent} ordinary ` +
          `messages forwarded, in flight ${bridge.health().inFlight}`,
      );
      expect({
        upstreamReconnects: up,
        poisonHandled: bridge.metrics.deadLetteredByReason['downstream-refused'] >= 1,
        ordinaryForwarded: normal.size,
      }).toEqual({ upstreamReconnects: 0, poisonHandled: true, ordinaryForwarded: sent });
      expect(delay.max / 1e6).toBeLessThan(1000);
    } finally {
      delay.disable();
      await bridge.stop();
    }
  });
});
