// Attack: a broker that sends what the bridge cannot parse, or QoS 2 on its QoS 1
// subscription. Mosquitto never does, so a tiny fake broker (node:net on 127.0.0.1, packets
// through mqtt-packet) stands in for the upstream broker, with the real IoT Core stand-in
// downstream. On its first connection the fake sends a crafted frame; on the next ones it
// behaves and delivers one good message. Expected: the bridge neither crashes nor forwards nor
// acknowledges the crafted frame, drops the connection, reconnects, and carries on.
import net from 'node:net';

import mqttPacket from 'mqtt-packet';

import pino from 'pino';

import { type BridgeHandle, startBridge } from '../../../bridge';
import {
  freePort,
  startIotCoreBroker,
  startLegacyBroker,
  type TestBroker,
  type TestIotCoreBroker,
} from '../../support/brokers';
import { type RecordingClient } from '../../support/mqtt-clients';
import {
  bridgeConfig,
  bridgeConfigInput,
  iotClient,
  legacyClient,
  runBridge,
  settle,
  waitFor,
} from './fixtures';

jest.setTimeout(60_000);

type Version = 4 | 5;

function varint(n: number): Buffer {
  const out: number[] = [];
  let value = n;
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 128;
    out.push(byte);
  } while (value > 0);
  return Buffer.from(out);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** A PUBLISH frame built by hand, so it can break the rules. */
function rawPublish(opts: {
  header?: number;
  topic: string;
  topicLength?: number;
  id?: number;
  props?: Buffer;
  payload: string;
  version: Version;
}): Buffer {
  const topic = Buffer.from(opts.topic);
  const body = Buffer.concat([
    u16(opts.topicLength ?? topic.length),
    topic,
    opts.id === undefined ? Buffer.alloc(0) : u16(opts.id),
    opts.version === 5
      ? Buffer.concat([
          varint((opts.props ?? Buffer.alloc(0)).length),
          opts.props ?? Buffer.alloc(0),
        ])
      : Buffer.alloc(0),
    Buffer.from(opts.payload),
  ]);
  return Buffer.concat([Buffer.from([opts.header ?? 0x32]), varint(body.length), body]);
}

function goodPublish(topic: string, id: number, version: Version): Buffer {
  return mqttPacket.generate(
    {
      cmd: 'publish',
      topic,
      payload: Buffer.from('ok'),
      qos: 1,
      messageId: id,
      dup: false,
      retain: false,
    },
    { protocolVersion: version },
  );
}

function connack(version: Version, sessionPresent: boolean, code = 0): Buffer {
  return mqttPacket.generate(
    version === 5
      ? { cmd: 'connack', sessionPresent, reasonCode: code }
      : { cmd: 'connack', sessionPresent, returnCode: code },
    { protocolVersion: version },
  );
}

interface Ack {
  conn: number;
  cmd: string;
  id: number;
}

/** A fake upstream broker: `first` answers the first CONNECT, later ones get `later`. */
class FakeBroker {
  private server!: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  connections = 0;
  readonly acks: Ack[] = [];
  readonly parseErrors: string[] = [];

  constructor(
    private readonly version: Version,
    private readonly first: () => Buffer,
    private readonly later: (conn: number) => Buffer,
    private readonly closeFirst = false,
  ) {}

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = net.createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    const parser = mqttPacket.parser({ protocolVersion: this.version });
    let conn = 0;
    const send = (packet: object): void => {
      socket.write(
        mqttPacket.generate(packet as mqttPacket.Packet, { protocolVersion: this.version }),
      );
    };
    parser.on('error', (err: Error) => this.parseErrors.push(`conn ${conn}: ${err.message}`));
    parser.on('packet', (packet: mqttPacket.Packet) => {
      switch (packet.cmd) {
        case 'connect':
          this.connections += 1;
          conn = this.connections;
          socket.write(conn === 1 ? this.first() : this.later(conn));
          // A broker closes the connection after a CONNACK that refuses it.
          if (conn === 1 && this.closeFirst) setTimeout(() => socket.end(), 50);
          break;
        case 'subscribe':
          send({
            cmd: 'suback',
            messageId: packet.messageId,
            granted: packet.subscriptions.map(() => 1),
          });
          break;
        case 'unsubscribe':
          send({
            cmd: 'unsuback',
            messageId: packet.messageId,
            ...(this.version === 5 ? { granted: packet.unsubscriptions.map(() => 0) } : {}),
          });
          break;
        case 'pingreq':
          send({ cmd: 'pingresp' });
          break;
        case 'puback':
        case 'pubrec':
          this.acks.push({ conn, cmd: packet.cmd, id: packet.messageId as number });
          break;
        default:
          break;
      }
    });
    socket.on('data', (chunk: Buffer) => parser.parse(chunk));
  }
}

interface Case {
  name: string;
  version: Version;
  /** What the fake sends on the first connection, CONNACK included. */
  first: (version: Version) => Buffer;
  /** Topic and packet id of the crafted message. */
  badTopic: string;
  badId: number;
  closeFirst?: boolean;
}

const UNKNOWN_PROPERTY = Buffer.from([0x99, 0x00]);
const TOPIC_ALIAS_5 = Buffer.from([0x23, 0x00, 0x05]);

const cases: Case[] = [
  ...([5, 4] as const).flatMap((version): Case[] => [
    {
      name: 'QoS 2 PUBLISH on the QoS 1 subscription',
      version,
      first: (v) =>
        Buffer.concat([
          connack(v, false),
          rawPublish({ header: 0x34, topic: 'dev/bad/q2', id: 11, payload: 'x', version: v }),
        ]),
      badTopic: 'dev/bad/q2',
      badId: 11,
    },
    {
      name: 'PUBLISH with QoS 3',
      version,
      first: (v) =>
        Buffer.concat([
          connack(v, false),
          rawPublish({ header: 0x36, topic: 'dev/bad/q3', id: 12, payload: 'x', version: v }),
        ]),
      badTopic: 'dev/bad/q3',
      badId: 12,
    },
    {
      name: 'topic length running past the packet',
      version,
      first: (v) =>
        Buffer.concat([
          connack(v, false),
          rawPublish({ topic: 'dev/bad/len', topicLength: 200, id: 13, payload: 'x', version: v }),
        ]),
      badTopic: 'dev/bad/len',
      badId: 13,
    },
    {
      name: 'remaining length of five bytes',
      version,
      first: (v) =>
        Buffer.concat([connack(v, false), Buffer.from([0x32, 0xff, 0xff, 0xff, 0xff, 0x01, 0, 0])]),
      badTopic: 'dev/bad/varint',
      badId: -1,
    },
    {
      name: 'QoS 1 PUBLISH with packet identifier 0',
      version,
      first: (v) =>
        Buffer.concat([
          connack(v, false),
          rawPublish({ topic: 'dev/bad/id0', id: 0, payload: 'x', version: v }),
        ]),
      badTopic: 'dev/bad/id0',
      badId: 0,
    },
    {
      name: 'PUBLISH after a CONNACK that refused the connection, in the same chunk',
      version,
      first: (v) =>
        Buffer.concat([
          connack(v, false, v === 5 ? 0x87 : 5),
          rawPublish({ topic: 'dev/bad/refused', id: 14, payload: 'x', version: v }),
        ]),
      badTopic: 'dev/bad/refused',
      badId: 14,
      closeFirst: true,
    },
    {
      name: 'PUBLISH before the CONNACK',
      version,
      first: (v) =>
        Buffer.concat([
          rawPublish({ topic: 'dev/bad/early', id: 15, payload: 'x', version: v }),
          connack(v, false),
        ]),
      badTopic: 'dev/bad/early',
      badId: 15,
    },
  ]),
  {
    name: 'unknown property in an MQTT 5 PUBLISH',
    version: 5,
    first: (v) =>
      Buffer.concat([
        connack(v, false),
        rawPublish({
          topic: 'dev/bad/prop',
          id: 16,
          props: UNKNOWN_PROPERTY,
          payload: 'x',
          version: v,
        }),
      ]),
    badTopic: 'dev/bad/prop',
    badId: 16,
  },
  {
    name: 'empty topic with a topic alias the bridge never allowed',
    version: 5,
    first: (v) =>
      Buffer.concat([
        connack(v, false),
        rawPublish({ topic: '', id: 17, props: TOPIC_ALIAS_5, payload: 'x', version: v }),
      ]),
    badTopic: '',
    badId: 17,
  },
];

describe('attack: a broker that breaks the protocol', () => {
  let iot: TestIotCoreBroker;
  let backend: RecordingClient;

  beforeAll(async () => {
    iot = await startIotCoreBroker();
    backend = await iotClient(iot, 'fake-backend');
    await backend.client.subscribeAsync('#', { qos: 1 });
  });

  afterAll(async () => {
    await backend.client.endAsync();
    await iot.stop();
  });

  it.each(cases.map((c) => [c.version, c.name, c] as const))(
    'MQTT %i upstream: %s',
    async (version, _name, c) => {
      const goodTopic = `dev/ok/${version}/${c.badId}`;
      const fake = new FakeBroker(
        version,
        () => c.first(version),
        (conn) =>
          Buffer.concat([connack(version, true), goodPublish(goodTopic, 100 + conn, version)]),
        c.closeFirst,
      );
      await fake.start();
      const legacyStub = { url: `mqtt://127.0.0.1:${fake.port}` } as TestBroker;
      const input = bridgeConfigInput(legacyStub, iot, { instanceId: `fake${version}${c.badId}` });
      input.legacy = { ...input.legacy, protocolVersion: version };
      const bridge = await startBridge(bridgeConfig(input), { log: pino({ level: 'silent' }) });
      try {
        const forwardedBad = (): string[] =>
          backend.received
            .filter((m) => m.topic === c.badTopic || m.topic.startsWith('dev/bad/'))
            .map((m) => m.topic);
        const ackedOnFirst = (): Ack[] => fake.acks.filter((a) => a.conn === 1);
        const carriedOn = (): boolean =>
          backend.received.some((m) => m.topic === goodTopic) &&
          fake.acks.some((a) => a.conn >= 2 && a.cmd === 'puback');
        // Either the bridge gets over it, or it gets something wrong; 6 s at most.
        await waitFor(
          () => carriedOn() || forwardedBad().length > 0 || ackedOnFirst().length > 0,
          'an outcome',
          6000,
        ).catch(() => undefined);
        await settle(500);
        console.log(
          `v${version} ${c.name}: connections ${fake.connections}, acks on the first ` +
            `${JSON.stringify(ackedOnFirst())}, forwarded ${JSON.stringify(forwardedBad())}, ` +
            `health ${bridge.health().status}`,
        );
        // Nothing crafted was forwarded, acknowledged (PUBACK) or taken as QoS 2 (PUBREC).
        expect({
          forwarded: forwardedBad(),
          ackedOnTheBadConnection: ackedOnFirst(),
          pubrec: fake.acks.filter((a) => a.cmd === 'pubrec'),
        }).toEqual({ forwarded: [], ackedOnTheBadConnection: [], pubrec: [] });
        // ... and the bridge dropped that connection, came back and carried on.
        expect({
          reconnected: fake.connections >= 2,
          carriedOn: carriedOn(),
          health: bridge.health().status,
        }).toEqual({ reconnected: true, carriedOn: true, health: 'ok' });
        expect(fake.parseErrors).toEqual([]);
      } finally {
        await bridge.stop();
        await fake.stop();
        backend.received.length = 0;
      }
    },
  );

  it('a good PUBLISH behind a malformed one in the same chunk is not acked on that socket', async () => {
    const version = 5;
    const fake = new FakeBroker(
      version,
      () =>
        Buffer.concat([
          connack(version, false),
          rawPublish({ header: 0x34, topic: 'dev/bad/q2b', id: 21, payload: 'x', version }),
          goodPublish('dev/after/bad', 22, version),
        ]),
      () => Buffer.concat([connack(version, true), goodPublish('dev/after/bad', 22, version)]),
    );
    await fake.start();
    const input = bridgeConfigInput({ url: `mqtt://127.0.0.1:${fake.port}` } as TestBroker, iot, {
      instanceId: 'fakechunk',
    });
    let bridge: BridgeHandle | undefined;
    try {
      bridge = await runBridge(input);
      await waitFor(
        () => fake.acks.some((a) => a.id === 22 && a.conn >= 2),
        'the redelivery acked',
      );
      await settle(300);
      const copies = backend.received.filter((m) => m.topic === 'dev/after/bad').length;
      console.log(`good message behind a bad one: ${copies} copies downstream`);
      expect(fake.acks.filter((a) => a.conn === 1)).toEqual([]);
      expect(backend.received.filter((m) => m.topic === 'dev/bad/q2b')).toEqual([]);
      expect(copies).toBeGreaterThanOrEqual(1);
    } finally {
      await bridge?.stop();
      await fake.stop();
      backend.received.length = 0;
    }
  });
});

describe('attack: a downstream broker that sends a malformed frame', () => {
  let legacy: TestBroker;
  let device: RecordingClient;

  beforeAll(async () => {
    legacy = await startLegacyBroker();
    device = await legacyClient(legacy);
  });

  afterAll(async () => {
    await device.client.endAsync();
    await legacy.stop();
  });

  it('reconnects, resends, and acks upstream only after the real PUBACK', async () => {
    const port = await freePort();
    const publishes: { conn: number; id: number; dup: boolean }[] = [];
    let connections = 0;
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      const parser = mqttPacket.parser({ protocolVersion: 5 });
      let conn = 0;
      parser.on('packet', (packet: mqttPacket.Packet) => {
        if (packet.cmd === 'connect') {
          conn = ++connections;
          socket.write(connack(5, conn > 1));
        } else if (packet.cmd === 'pingreq') {
          socket.write(mqttPacket.generate({ cmd: 'pingresp' }));
        } else if (packet.cmd === 'publish') {
          publishes.push({ conn, id: packet.messageId as number, dup: packet.dup });
          // First connection: a PUBACK-typed frame whose length field never ends.
          if (conn === 1) socket.write(Buffer.from([0x40, 0xff, 0xff, 0xff, 0xff, 0x01]));
          else
            socket.write(
              mqttPacket.generate(
                { cmd: 'puback', messageId: packet.messageId },
                { protocolVersion: 5 },
              ),
            );
        }
      });
      socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const iotStub = {
      url: `mqtt://127.0.0.1:${port}`,
      clientCert: () => ({ certFile: 'unused', keyFile: 'unused' }),
    } as unknown as TestIotCoreBroker;
    const input = bridgeConfigInput(legacy, iotStub, {
      instanceId: 'fakedown',
      sharedGroup: 'fakedown',
      downstream: { connections: 1, publishesPerSecond: 100, maxInFlight: 10 },
    });
    input.iotCore = { url: `mqtt://127.0.0.1:${port}`, keepaliveSeconds: 5 };
    const bridge = await runBridge(input);
    try {
      await device.client.publishAsync('dev/fd/1', 'one', { qos: 1 });
      await waitFor(() => publishes.some((p) => p.conn >= 2), 'the resend on a new connection');
      await waitFor(() => bridge.health().inFlight === 0, 'the upstream ack', 5000);
      console.log(`downstream malformed frame: ${JSON.stringify(publishes)}`);
      expect(publishes[0]).toMatchObject({ conn: 1, dup: false });
      expect(publishes.find((p) => p.conn >= 2)).toMatchObject({ dup: true, id: publishes[0].id });
      expect(bridge.metrics.totals.forwarded).toBe(1);
      expect(bridge.metrics.totals.deadLettered).toBe(0);
    } finally {
      await bridge.stop();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it("honours the downstream broker's Receive Maximum (MQTT 5 CONNACK)", async () => {
    // The broker allows 10 unacknowledged QoS 1 publishes, acks each after 30 ms, and (as
    // MQTT 5 lets it) disconnects with 0x93 "Receive Maximum exceeded" a client that sends more.
    const port = await freePort();
    let connections = 0;
    let violations = 0;
    let acked = 0;
    const sockets = new Set<net.Socket>();
    const server = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      const parser = mqttPacket.parser({ protocolVersion: 5 });
      const outstanding = new Set<number>();
      parser.on('packet', (packet: mqttPacket.Packet) => {
        if (packet.cmd === 'connect') {
          connections += 1;
          socket.write(
            mqttPacket.generate(
              {
                cmd: 'connack',
                sessionPresent: connections > 1,
                reasonCode: 0,
                properties: { receiveMaximum: 10 },
              },
              { protocolVersion: 5 },
            ),
          );
        } else if (packet.cmd === 'pingreq') {
          socket.write(mqttPacket.generate({ cmd: 'pingresp' }));
        } else if (packet.cmd === 'publish') {
          const id = packet.messageId as number;
          outstanding.add(id);
          if (outstanding.size > 10) {
            violations += 1;
            socket.end(
              mqttPacket.generate({ cmd: 'disconnect', reasonCode: 0x93 }, { protocolVersion: 5 }),
            );
            return;
          }
          setTimeout(() => {
            if (socket.destroyed || !outstanding.delete(id)) return;
            acked += 1;
            socket.write(
              mqttPacket.generate({ cmd: 'puback', messageId: id }, { protocolVersion: 5 }),
            );
          }, 30);
        }
      });
      socket.on('data', (chunk: Buffer) => parser.parse(chunk));
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const iotStub = {
      url: `mqtt://127.0.0.1:${port}`,
      clientCert: () => ({ certFile: 'unused', keyFile: 'unused' }),
    } as unknown as TestIotCoreBroker;
    const input = bridgeConfigInput(legacy, iotStub, {
      instanceId: 'fakerecvmax',
      sharedGroup: 'fakerecvmax',
      downstream: { connections: 1, publishesPerSecond: 5000, maxInFlight: 100 },
      drainTimeoutSeconds: 1,
    });
    input.iotCore = { url: `mqtt://127.0.0.1:${port}`, keepaliveSeconds: 5 };
    const bridge = await runBridge(input);
    try {
      await Promise.all(
        Array.from({ length: 60 }, (_, n) =>
          device.client.publishAsync(`dev/rm/${n}`, String(n), { qos: 1 }),
        ),
      );
      await waitFor(() => bridge.metrics.totals.forwarded >= 60, 'all 60 forwarded', 8000).catch(
        () => undefined,
      );
      console.log(
        `receive maximum 10: ${violations} violations, ${connections} connections, ` +
          `${acked} acked by the broker, ${bridge.metrics.totals.forwarded}/60 forwarded`,
      );
      expect({ violations, connections, forwarded: bridge.metrics.totals.forwarded }).toEqual({
        violations: 0,
        connections: 1,
        forwarded: 60,
      });
    } finally {
      await bridge.stop();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
