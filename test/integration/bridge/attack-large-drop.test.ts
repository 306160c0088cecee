// Attack: the upstream connection drops in the middle of a large (100 KB) PUBLISH that the
// bridge receives over several TCP reads. A proxy on 127.0.0.1 sits between the bridge and the
// real legacy Mosquitto; it hands the bridge every broker frame in 4 KB pieces, one per few
// milliseconds (so a large frame really spans many reads), and on demand cuts both sockets after
// a given number of bytes of the next large frame. Expected: the message arrives downstream
// intact (never truncated, never glued to the next one), every small message around it too,
// and the bridge reconnects and carries on.
import { createHash } from 'node:crypto';
import net from 'node:net';

import pino from 'pino';

import { type BridgeHandle, startBridge } from '../../../bridge';
import { freePort } from '../../support/brokers';
import { bridgeConfig, bridgeConfigInput, settle, useBrokerScene, waitFor } from './fixtures';

jest.setTimeout(60_000);

const BIG = 100 * 1024;
const PIECE = 4096;

/** Remaining-length decoding of the frame at `at`: where it ends, or undefined if incomplete. */
function frameEnd(data: Buffer, at: number): number | undefined {
  let length = 0;
  let multiplier = 1;
  for (let i = 1; i <= 4; i += 1) {
    if (at + i >= data.length) return undefined;
    const byte = data[at + i];
    length += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) {
      const end = at + i + 1 + length;
      return end <= data.length ? end : undefined;
    }
    multiplier *= 128;
  }
  throw new Error('bad frame from the broker');
}

class CuttingProxy {
  private server!: net.Server;
  port = 0;
  connections = 0;
  cuts = 0;
  /** Bytes of the next frame over 50 KB to pass before both sockets are cut. */
  cutAfter: number | undefined;
  private readonly sockets = new Set<net.Socket>();

  async start(target: number): Promise<void> {
    this.port = await freePort();
    this.server = net.createServer((client) => this.accept(client, target));
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket, target: number): void {
    this.connections += 1;
    const broker = net.connect(target, '127.0.0.1');
    this.sockets.add(client);
    this.sockets.add(broker);
    const kill = (): void => {
      client.destroy();
      broker.destroy();
    };
    client.on('error', kill);
    broker.on('error', kill);
    client.on('close', kill);
    broker.on('close', kill);
    client.pipe(broker);

    let pending = Buffer.alloc(0);
    const out: (Buffer | 'cut')[] = [];
    let pumping = false;
    const pump = (): void => {
      const next = out.shift();
      if (next === undefined) {
        pumping = false;
        return;
      }
      if (next === 'cut') {
        this.cuts += 1;
        out.length = 0;
        kill();
        pumping = false;
        return;
      }
      if (!client.destroyed) client.write(next);
      setTimeout(pump, 2);
    };
    broker.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      let at = 0;
      for (;;) {
        const end = frameEnd(pending, at);
        if (end === undefined) break;
        const frame = pending.subarray(at, end);
        const cut = frame.length > 50_000 ? this.cutAfter : undefined;
        if (cut !== undefined) this.cutAfter = undefined;
        const limit = cut ?? frame.length;
        for (let o = 0; o < limit; o += PIECE) {
          out.push(Buffer.from(frame.subarray(o, Math.min(limit, o + PIECE))));
        }
        if (cut !== undefined) out.push('cut');
        at = end;
      }
      pending = pending.subarray(at);
      if (!pumping) {
        pumping = true;
        pump();
      }
    });
  }
}

function digest(payload: string | Buffer): string {
  return createHash('sha256').update(payload).digest('hex').slice(0, 12);
}

describe('attack: upstream drop in the middle of a 100 KB message', () => {
  const scene = useBrokerScene({ backendName: 'big-backend' });
  let proxy: CuttingProxy;
  const raw: { topic: string; payload: Buffer }[] = [];

  beforeAll(async () => {
    proxy = new CuttingProxy();
    await proxy.start(scene.legacy.port);
    // The recording client turns payloads into strings; the digests need the bytes.
    scene.backend.client.on('message', (topic, payload) => raw.push({ topic, payload }));
  });

  afterAll(async () => {
    await proxy.stop();
  });

  // Cut inside the fixed header, in the topic, in the payload, one byte short of the end.
  const cuts = [1, 2, 3, 9, 40_000, BIG + 20];
  it.each([
    [5, cuts],
    [4, cuts],
  ] as const)('MQTT %i upstream, cuts after %j bytes of the big frame', async (version, at) => {
    const prefix = `dev/big${version}/`;
    const input = bridgeConfigInput(scene.legacy, scene.iot, {
      instanceId: `big${version}`,
      sharedGroup: `big${version}`,
    });
    input.legacy = {
      ...input.legacy,
      url: `mqtt://127.0.0.1:${proxy.port}`,
      protocolVersion: version,
    };
    let bridge: BridgeHandle | undefined;
    try {
      const logs: string[] = [];
      const b = await startBridge(bridgeConfig(input), {
        log: pino({ level: 'info' }, { write: (l: string) => void logs.push(l) }),
      });
      bridge = b;
      // After a resumed session the bridge unsubscribes and subscribes again; each round
      // waits for the new subscription before the next cut.
      // The stand-in group that covers the gap is subscribed too; only the real one counts.
      const subscribed = (): number =>
        logs.filter((l) => l.includes('"msg":"subscribed"') && !l.includes('-resume/')).length;
      await waitFor(() => b.health().status === 'ok', 'healthy', 10_000);
      await waitFor(() => subscribed() === 1, 'subscribed', 10_000);
      const base = proxy.connections - 1;
      const expected = new Map<string, string>();
      for (const [round, cutAfter] of at.entries()) {
        const big = Buffer.alloc(BIG);
        for (let i = 0; i < BIG; i += 1) big[i] = (i * 31 + round) & 0xff;
        const connectionsBefore = proxy.connections;
        proxy.cutAfter = cutAfter;
        await scene.device.client.publishAsync(`${prefix}small/${round}/a`, `a${round}`, {
          qos: 1,
        });
        await scene.device.client.publishAsync(`${prefix}big/${round}`, big, { qos: 1 });
        await scene.device.client.publishAsync(`${prefix}small/${round}/b`, `b${round}`, {
          qos: 1,
        });
        expected.set(`${prefix}small/${round}/a`, digest(`a${round}`));
        expected.set(`${prefix}big/${round}`, digest(big));
        expected.set(`${prefix}small/${round}/b`, digest(`b${round}`));
        await waitFor(() => proxy.connections > connectionsBefore, `the cut ${cutAfter}`, 10_000);
        await waitFor(() => subscribed() === proxy.connections - base, 'subscribed again', 10_000);
        await waitFor(
          () => raw.some((m) => m.topic === `${prefix}small/${round}/b`),
          `round ${round} through after the cut at ${cutAfter}`,
          15_000,
        );
      }
      await waitFor(() => b.health().inFlight === 0 && b.health().status === 'ok', 'settled');
      await settle(300);
      const mine = raw.filter((m) => m.topic.startsWith(prefix));
      // Every message arrived, and everything that arrived is exactly what was published.
      for (const topic of expected.keys()) {
        expect(mine.some((m) => m.topic === topic)).toBe(true);
      }
      const wrong = mine.filter((m) => expected.get(m.topic) !== digest(m.payload));
      expect(wrong.map((m) => `${m.topic} (${m.payload.length} bytes)`)).toEqual([]);
      console.log(
        `v${version}: ${at.length} cuts, ${proxy.cuts} done, ${mine.length} received for ` +
          `${expected.size} published, redelivered ${b.metrics.totals.redelivered}`,
      );
    } finally {
      await bridge?.stop();
    }
  });
});
