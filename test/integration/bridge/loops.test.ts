import { type BridgeConfigInput, type BridgeHandle } from '../../../bridge';
import {
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

jest.setTimeout(30_000);

/** Both directions of one deployment, sharing one config apart from the direction. */
async function bothDirections(input: BridgeConfigInput): Promise<BridgeHandle[]> {
  return Promise.all([
    runBridge({ ...input, direction: 'device-to-backend', instanceId: 'up' }),
    runBridge({ ...input, direction: 'backend-to-device', instanceId: 'down' }),
  ]);
}

describe('bridge loop prevention', () => {
  let legacy: TestBroker;
  let iot: TestIotCoreBroker;
  let legacySide: RecordingClient;
  let iotSide: RecordingClient;

  beforeAll(async () => {
    legacy = await startLegacyBroker();
    iot = await startIotCoreBroker();
  });

  afterAll(async () => {
    await iot.stop();
    await legacy.stop();
  });

  afterEach(async () => {
    await legacySide?.client.endAsync();
    await iotSide?.client.endAsync();
  });

  it.each([5, 4] as const)(
    'forwards x/# both ways over MQTT 5 legs: one copy each way, MQTT %i clients',
    async (clientVersion) => {
      const bridges = await bothDirections(
        bridgeConfigInput(legacy, iot, {
          sharedGroup: `loop${clientVersion}`,
          routes: {
            'device-to-backend': [{ filter: 'x/#' }],
            'backend-to-device': [{ filter: 'x/#' }],
          },
        }),
      );
      try {
        legacySide = await legacyClient(legacy, clientVersion);
        iotSide = await iotClient(iot, `loop-${clientVersion}`, clientVersion);
        await legacySide.client.subscribeAsync('x/#', { qos: 1 });
        await iotSide.client.subscribeAsync('x/#', { qos: 1 });

        await legacySide.client.publishAsync('x/from-device', 'd', { qos: 1 });
        await iotSide.client.publishAsync('x/from-backend', 'b', { qos: 1 });
        await waitFor(
          () =>
            iotSide.received.some((m) => m.payload === 'd') &&
            legacySide.received.some((m) => m.payload === 'b'),
          'one copy each way',
        );
        await settle(1000);
        // Each side sees its own publish once (as a subscriber) and the other side's once.
        expect(legacySide.received.map((m) => m.payload).sort()).toEqual(['b', 'd']);
        expect(iotSide.received.map((m) => m.payload).sort()).toEqual(['b', 'd']);
        expect(bridges.map((b) => b.metrics.totals.forwarded)).toEqual([1, 1]);
        expect(bridges.map((b) => b.metrics.totals.skipped)).toEqual([1, 1]);
      } finally {
        await Promise.all(bridges.map((b) => b.stop()));
      }
    },
  );

  it('forwards a reply that copied the request user properties, hop marker included', async () => {
    const bridges = await bothDirections(
      bridgeConfigInput(legacy, iot, {
        sharedGroup: 'reply',
        routes: {
          'device-to-backend': [{ filter: 'req/#' }],
          'backend-to-device': [{ filter: 'resp/#' }, { filter: 'req/#' }],
        },
      }),
    );
    try {
      legacySide = await legacyClient(legacy, 5);
      iotSide = await iotClient(iot, 'replier', 5);
      await legacySide.client.subscribeAsync('resp/#', { qos: 1 });
      await iotSide.client.subscribeAsync('req/#', { qos: 1 });
      // The backend answers on the response topic with every user property of the request.
      iotSide.client.on('message', (topic, payload, packet) => {
        if (!topic.startsWith('req/')) return;
        void iotSide.client.publishAsync('resp/1', `re:${payload}`, {
          qos: 1,
          properties: { userProperties: packet.properties?.userProperties },
        });
      });

      await legacySide.client.publishAsync('req/1', 'ping', {
        qos: 1,
        properties: { userProperties: { trace: 't1' } },
      });

      await waitFor(() => legacySide.received.some((m) => m.payload === 're:ping'), 'the reply');
      const reply = legacySide.received.find((m) => m.payload === 're:ping');
      expect(reply?.properties?.userProperties).toMatchObject({ trace: 't1' });
      await settle(500);
      // The request's own echo on req/1 was still recognised and skipped.
      expect(bridges[1].metrics.totals.skipped).toBe(1);
      expect(legacySide.received.filter((m) => m.payload === 're:ping')).toHaveLength(1);
    } finally {
      await Promise.all(bridges.map((b) => b.stop()));
    }
  });

  it('refuses x/# both ways when a leg is MQTT 3.1.1, naming both routes', () => {
    const input = bridgeConfigInput(legacy, iot, {
      routes: {
        'device-to-backend': [{ filter: 'x/#' }],
        'backend-to-device': [{ filter: 'x/#' }],
      },
    });
    input.legacy = { ...input.legacy, protocolVersion: 4 };
    expect(() => bridgeConfig(input)).toThrow(
      /routes\.device-to-backend\.0: writes x\/#, which routes\.backend-to-device\.0 \(x\/#\)/,
    );
  });

  it('keeps one copy each way over MQTT 3.1.1 legs with separated topics', async () => {
    const input = bridgeConfigInput(legacy, iot, {
      sharedGroup: 'loop311',
      routes: {
        'device-to-backend': [{ filter: 'x/up/#' }],
        'backend-to-device': [{ filter: 'x/down/#' }],
      },
    });
    input.legacy = { ...input.legacy, protocolVersion: 4 };
    input.iotCore = { ...input.iotCore, protocolVersion: 4 };
    const bridges = await bothDirections(input);
    try {
      legacySide = await legacyClient(legacy, 4);
      iotSide = await iotClient(iot, 'loop-311', 4);
      await legacySide.client.subscribeAsync('x/#', { qos: 1 });
      await iotSide.client.subscribeAsync('x/#', { qos: 1 });
      await legacySide.client.publishAsync('x/up/1', 'd', { qos: 1 });
      await iotSide.client.publishAsync('x/down/1', 'b', { qos: 1 });
      await waitFor(
        () => iotSide.received.length === 2 && legacySide.received.length === 2,
        'both',
      );
      await settle(1000);
      expect(legacySide.received.map((m) => `${m.topic}=${m.payload}`).sort()).toEqual([
        'x/down/1=b',
        'x/up/1=d',
      ]);
      expect(iotSide.received.map((m) => `${m.topic}=${m.payload}`).sort()).toEqual([
        'x/down/1=b',
        'x/up/1=d',
      ]);
      expect(bridges.map((b) => b.metrics.totals.forwarded)).toEqual([1, 1]);
    } finally {
      await Promise.all(bridges.map((b) => b.stop()));
    }
  });
});
