// Attack: keepalive. The bridge writes its acks (upstream) and publishes (downstream) past
// MQTT.js, and MQTT.js no longer sees the PUBLISH/PUBACK traffic, so its keepalive must rest on
// PINGREQ/PINGRESP alone. With a 1 s keepalive on both legs: several idle periods, then
// traffic, then a long busy period. Expected: no reconnect on either side, everything
// forwarded, and (seen by a counting proxy on the upstream leg) PINGREQs keep going out.
import net from 'node:net';

import { type BridgeHandle } from '../../../bridge';
import { freePort } from '../../support/brokers';
import { type RecordingClient } from '../../support/mqtt-clients';
import { bridgeConfigInput, runBridge, settle, useBrokerScene, waitFor } from './fixtures';

jest.setTimeout(60_000);

/** Counts the control packets on the bridge's upstream connection, both ways. */
class CountingProxy {
  private server!: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  connections = 0;
  readonly toBroker = new Map<number, number>();
  readonly toBridge = new Map<number, number>();

  async start(target: number): Promise<void> {
    this.port = await freePort();
    this.server = net.createServer((client) => {
      this.connections += 1;
      const broker = net.connect(target, '127.0.0.1');
      for (const s of [client, broker]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          client.destroy();
          broker.destroy();
        });
      }
      this.count(client, broker, this.toBroker);
      this.count(broker, client, this.toBridge);
    });
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  get(map: Map<number, number>, type: number): number {
    return map.get(type) ?? 0;
  }

  private count(from: net.Socket, to: net.Socket, counts: Map<number, number>): void {
    let pending = Buffer.alloc(0);
    from.on('data', (chunk: Buffer) => {
      to.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      let at = 0;
      for (;;) {
        let length = 0;
        let multiplier = 1;
        let i = 1;
        let end: number | undefined;
        for (; i <= 4 && at + i < pending.length; i += 1) {
          const byte = pending[at + i];
          length += (byte & 0x7f) * multiplier;
          if ((byte & 0x80) === 0) {
            end = at + i + 1 + length;
            break;
          }
          multiplier *= 128;
        }
        if (end === undefined || end > pending.length) break;
        const type = pending[at] >> 4;
        counts.set(type, (counts.get(type) ?? 0) + 1);
        at = end;
      }
      pending = pending.subarray(at);
    });
  }
}

const PINGREQ = 12;
const PINGRESP = 13;
const PUBACK = 4;

async function reconnects(bridge: BridgeHandle, side: string): Promise<number> {
  const metric = await bridge.metrics.reconnects.get();
  return metric.values.filter((v) => v.labels.side === side).reduce((s, v) => s + v.value, 0);
}

describe('attack: keepalive with the bridge writing past MQTT.js', () => {
  const scene = useBrokerScene({ backendName: 'keepalive-backend' });

  it.each([5, 4] as const)('MQTT %i on both legs, 1 s keepalive', async (version) => {
    const proxy = new CountingProxy();
    await proxy.start(scene.legacy.port);
    const prefix = `dev/ka${version}/`;
    const input = bridgeConfigInput(scene.legacy, scene.iot, {
      instanceId: `ka${version}`,
      sharedGroup: `ka${version}`,
    });
    input.legacy = {
      ...input.legacy,
      url: `mqtt://127.0.0.1:${proxy.port}`,
      protocolVersion: version,
      keepaliveSeconds: 1,
    };
    input.iotCore = { ...input.iotCore, protocolVersion: version, keepaliveSeconds: 1 };
    const bridge = await runBridge(input);
    const mine = (): RecordingClient['received'] =>
      scene.backend.received.filter((m) => m.topic.startsWith(prefix));
    try {
      // 1. Idle for five keepalive periods.
      const pingsBefore = proxy.get(proxy.toBroker, PINGREQ);
      await settle(5000);
      const idlePings = proxy.get(proxy.toBroker, PINGREQ) - pingsBefore;

      // 2. A burst after the idle time.
      for (let n = 0; n < 200; n += 1) {
        void scene.device.client.publishAsync(`${prefix}burst`, String(n), { qos: 1 });
      }
      await waitFor(() => mine().length >= 200, 'the burst after idling');

      // 3. Five keepalive periods of steady traffic the bridge reads and acks itself.
      const busyPingsBefore = proxy.get(proxy.toBroker, PINGREQ);
      const stopAt = Date.now() + 5000;
      let sent = 200;
      while (Date.now() < stopAt) {
        const batch: Promise<unknown>[] = [];
        for (let i = 0; i < 20; i += 1) {
          batch.push(scene.device.client.publishAsync(`${prefix}busy`, String(sent), { qos: 1 }));
          sent += 1;
        }
        await Promise.all(batch);
        await settle(20);
      }
      await waitFor(() => mine().length >= sent, 'the busy traffic', 10_000);
      const busyPings = proxy.get(proxy.toBroker, PINGREQ) - busyPingsBefore;

      const up = await reconnects(bridge, 'upstream');
      const down = await reconnects(bridge, 'downstream');
      console.log(
        `keepalive v${version}: ${idlePings} PINGREQ while idle 5 s, ${busyPings} while busy 5 s ` +
          `(${sent} messages, ${proxy.get(proxy.toBroker, PUBACK)} PUBACKs upstream), ` +
          `PINGRESP ${proxy.get(proxy.toBridge, PINGRESP)}, reconnects up ${up} down ${down}, ` +
          `upstream TCP connections ${proxy.connections}`,
      );
      expect({ up, down, upstreamConnections: proxy.connections }).toEqual({
        up: 0,
        down: 0,
        upstreamConnections: 1,
      });
      expect(idlePings).toBeGreaterThanOrEqual(3);
      expect(bridge.health().status).toBe('ok');
      expect(new Set(mine().map((m) => m.payload)).size).toBe(sent);
    } finally {
      await bridge.stop();
      await proxy.stop();
    }
  });
});
