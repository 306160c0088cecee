// Attack: the downstream broker restarts (SIGTERM, persistence kept) while heavy traffic
// flows, with an MQTT 3.1.1 and an MQTT 5 downstream leg. Expected: no number lost, duplicates
// from the bridge bounded by what the lanes can hold un-acknowledged, the bridge healthy again
// afterwards. The broker's own redeliveries to the backend (DUP set, after its restart) are
// not the bridge's and are counted apart: a slow backend leaves many of them in flight.
import mqtt from 'mqtt';

import { type BridgeHandle } from '../../../bridge';
import {
  startIotCoreBroker,
  startLegacyBroker,
  type TestBroker,
  type TestIotCoreBroker,
} from '../../support/brokers';
import { type Received, type RecordingClient } from '../../support/mqtt-clients';
import { bridgeConfigInput, legacyClient, runBridge, settle, waitFor } from './fixtures';

jest.setTimeout(60_000);

const TOTAL = 6000;
const CONNECTIONS = 2;
const MAX_IN_FLIGHT = 100;

/** A backend on IoT Core with a persistent session that reconnects by itself. */
async function persistentBackend(
  iot: TestIotCoreBroker,
  name: string,
  version: 4 | 5,
  filter: string,
): Promise<{ client: mqtt.MqttClient; received: Received[]; redelivered: Received[] }> {
  const client = await mqtt.connectAsync(iot.url, {
    ...iot.clientTls(name),
    clientId: name,
    protocolVersion: version,
    clean: false,
    reconnectPeriod: 100,
    connectTimeout: 3000,
    ...(version === 5 ? { properties: { sessionExpiryInterval: 600 } } : {}),
  });
  const received: Received[] = [];
  const redelivered: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    const message = { topic, payload: payload.toString(), qos: packet.qos, retain: packet.retain };
    received.push(message);
    if (packet.dup) redelivered.push(message);
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, received, redelivered };
}

async function reconnects(bridge: BridgeHandle, side: string): Promise<number> {
  const metric = await bridge.metrics.reconnects.get();
  return metric.values.filter((v) => v.labels.side === side).reduce((s, v) => s + v.value, 0);
}

describe('attack: downstream broker restarts under heavy traffic', () => {
  let legacy: TestBroker;
  let iot: TestIotCoreBroker;
  let device: RecordingClient;

  beforeAll(async () => {
    legacy = await startLegacyBroker();
    iot = await startIotCoreBroker();
    device = await legacyClient(legacy);
  });

  afterAll(async () => {
    await device.client.endAsync();
    await iot.stop();
    await legacy.stop();
  });

  it.each([
    [5, 1],
    [4, 1],
    [5, 3],
    [4, 3],
  ] as const)(
    'MQTT %i downstream restarted %i time(s): zero loss, bounded duplicates, recovers',
    async (version, restarts) => {
      const prefix = `dev/rs${version}x${restarts}/`;
      const backend = await persistentBackend(
        iot,
        `restart-backend-${version}-${restarts}`,
        version,
        `${prefix}#`,
      );
      const input = bridgeConfigInput(legacy, iot, {
        instanceId: `restart${version}x${restarts}`,
        sharedGroup: `restart${version}x${restarts}`,
        downstream: {
          connections: CONNECTIONS,
          publishesPerSecond: 5000,
          maxInFlight: MAX_IN_FLIGHT,
        },
      });
      input.iotCore = { ...input.iotCore, protocolVersion: version, keepaliveSeconds: 2 };
      const bridge = await runBridge(input);
      try {
        // Heavy traffic: 6,000 QoS 1 messages, 200 in flight at a time from the device.
        let published = 0;
        const publishing = (async () => {
          for (let start = 0; start < TOTAL; start += 200) {
            const batch: Promise<unknown>[] = [];
            for (let n = start; n < start + 200; n += 1) {
              batch.push(device.client.publishAsync(`${prefix}${n % 16}`, String(n), { qos: 1 }));
            }
            await Promise.all(batch);
            published = start + 200;
          }
        })();
        await waitFor(() => backend.received.length > 1000, 'traffic flowing', 10_000);
        const forwardedAtRestart = bridge.metrics.totals.forwarded;
        for (let i = 0; i < restarts; i += 1) {
          await iot.restart();
          // Back up just long enough for the lanes to reconnect and start resending.
          if (i + 1 < restarts) await settle(300);
        }
        const publishedAtRestart = published;
        await publishing;
        const seen = (): Set<number> => new Set(backend.received.map((m) => Number(m.payload)));
        await waitFor(() => seen().size === TOTAL, `all ${TOTAL} numbers`, 30_000).catch(() => {
          const s = seen();
          const missing = Array.from({ length: TOTAL }, (_, n) => n).filter((n) => !s.has(n));
          throw new Error(
            `lost ${missing.length} numbers, e.g. ${missing.slice(0, 10).join(',')}; ` +
              `forwarded ${bridge.metrics.totals.forwarded}, in flight ${bridge.health().inFlight}`,
          );
        });
        await waitFor(() => bridge.health().status === 'ok', 'bridge healthy again', 10_000);
        await waitFor(() => bridge.health().inFlight === 0, 'nothing left in flight', 10_000);
        // A duplicate from the bridge reaches the backend as a fresh delivery (DUP clear).
        const fresh = backend.received.filter((m) => !backend.redelivered.includes(m));
        const duplicates = fresh.length - new Set(fresh.map((m) => m.payload)).size;
        const redelivered = backend.redelivered.length;
        const down = await reconnects(bridge, 'downstream');
        console.log(
          `downstream v${version} x${restarts} restart: forwarded ${forwardedAtRestart} before the restart ` +
            `(${publishedAtRestart} published), ${duplicates} duplicates from the bridge, ` +
            `${redelivered} redelivered by the broker, ${down} reconnects, ` +
            `deadLettered ${bridge.metrics.totals.deadLettered}`,
        );
        expect(bridge.metrics.totals.deadLettered).toBe(0);
        // Each lane resends at most its window once per reconnect.
        expect(duplicates).toBeLessThanOrEqual(CONNECTIONS * MAX_IN_FLIGHT * Math.max(1, down));
        // Settled: no reconnect loop after the broker came back.
        await settle(3000);
        expect(await reconnects(bridge, 'downstream')).toBe(down);
      } finally {
        await bridge.stop();
        await backend.client.endAsync();
      }
    },
  );
});
