// Attack: MQTT 5 properties end to end, read off the wire on the receiving side (raw frames,
// walked by this file's own parser, so neither MQTT.js's grouping nor the bridge's decoder
// hides anything): user properties with repeats, interleaving, empty and non-ASCII strings
// and keys that are names of Object.prototype members; binary and empty correlation data; an
// empty content type; payload format indicator 0; response topic; expiry; retained messages
// with properties and the empty retained delete, in both directions, and an MQTT 3.1.1
// downstream leg (properties cannot cross it; the message and the retained delete must).
import {
  startIotCoreBroker,
  startLegacyBroker,
  type TestBroker,
  type TestIotCoreBroker,
} from '../../support/brokers';
import { type RecordingClient } from '../../support/mqtt-clients';
import { bridgeConfigInput, iotClient, legacyClient, runBridge, settle, waitFor } from './fixtures';

jest.setTimeout(60_000);

type Prop = [name: string, value: unknown];

function utf8(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v > 0) b |= 128;
    out.push(b);
  } while (v > 0);
  return Buffer.from(out);
}

function readVarint(buf: Buffer, at: number): [number, number] {
  let value = 0;
  let mult = 1;
  for (let i = 0; i < 4; i += 1) {
    const b = buf[at + i];
    value += (b & 0x7f) * mult;
    if ((b & 0x80) === 0) return [value, at + i + 1];
    mult *= 128;
  }
  throw new Error('bad varint');
}

interface RawPublish {
  topic: string;
  retain: boolean;
  payload: Buffer;
  props: Prop[];
}

/** Every PUBLISH in a byte stream, with its properties in wire order. */
function publishes(stream: Buffer, v5: boolean): RawPublish[] {
  const out: RawPublish[] = [];
  let at = 0;
  while (at < stream.length) {
    const header = stream[at];
    const [length, bodyAt] = readVarint(stream, at + 1);
    const end = bodyAt + length;
    if (end > stream.length) break;
    if (header >> 4 === 3) {
      const body = stream.subarray(bodyAt, end);
      const tl = body.readUInt16BE(0);
      const topic = body.toString('utf8', 2, 2 + tl);
      let p = 2 + tl + (((header >> 1) & 3) > 0 ? 2 : 0);
      const props: Prop[] = [];
      if (v5) {
        const [plen, pstart] = readVarint(body, p);
        let q = pstart;
        const str = (): string => {
          const l = body.readUInt16BE(q);
          const s = body.toString('utf8', q + 2, q + 2 + l);
          q += 2 + l;
          return s;
        };
        while (q < pstart + plen) {
          const id = body[q++];
          if (id === 0x01) props.push(['payloadFormat', body[q++]]);
          else if (id === 0x02) {
            props.push(['expiry', body.readUInt32BE(q)]);
            q += 4;
          } else if (id === 0x03) props.push(['contentType', str()]);
          else if (id === 0x08) props.push(['responseTopic', str()]);
          else if (id === 0x09) {
            const l = body.readUInt16BE(q);
            props.push(['correlation', body.subarray(q + 2, q + 2 + l).toString('hex')]);
            q += 2 + l;
          } else if (id === 0x26) props.push(['user', [str(), str()]]);
          else if (id === 0x0b) {
            props.push(['subscriptionId', readVarint(body, q)[0]]);
            q = readVarint(body, q)[1];
          } else throw new Error(`property 0x${id.toString(16)}`);
        }
        p = pstart + plen;
      }
      out.push({
        topic,
        retain: (header & 1) === 1,
        payload: Buffer.from(body.subarray(p)),
        props,
      });
    }
    at = end;
  }
  return out;
}

/** A client that keeps every byte it reads, for {@link publishes}. */
async function rawRecorder(
  connect: () => Promise<RecordingClient>,
  filter: string,
  v5: boolean,
): Promise<{ client: RecordingClient; frames: () => RawPublish[] }> {
  const client = await connect();
  const chunks: Buffer[] = [];
  client.client.stream.on('data', (chunk: Buffer) => chunks.push(Buffer.from(chunk)));
  await client.client.subscribeAsync(filter, { qos: 1, ...(v5 ? { rap: true } : {}) });
  return {
    client,
    frames: () => publishes(Buffer.concat(chunks), v5).filter((p) => p.topic.length > 0),
  };
}

/** One raw MQTT 5 QoS 0 PUBLISH, so the user properties go out exactly in this order. */
function rawV5Publish(topic: string, payload: string, props: Buffer, retain = false): Buffer {
  const body = Buffer.concat([utf8(topic), varint(props.length), props, Buffer.from(payload)]);
  return Buffer.concat([Buffer.from([0x30 | (retain ? 1 : 0)]), varint(body.length), body]);
}

const user = (k: string, v: string): Buffer =>
  Buffer.concat([Buffer.from([0x26]), utf8(k), utf8(v)]);

// Repeats, interleaving, empty strings, non-ASCII, and Object.prototype member names.
const USER_PAIRS: [string, string][] = [
  ['trace', 'abc'],
  ['a', '1'],
  ['constructor', 'c1'],
  ['a', '2'],
  ['__proto__', 'p1'],
  ['toString', 't'],
  ['', ''],
  ['ключ', '値 ✓'],
  ['__proto__', 'p2'],
  ['constructor', 'c2'],
  ['hasOwnProperty', 'h'],
];

const OTHER_PROPS = Buffer.concat([
  Buffer.from([0x01, 0x00]), // payload format indicator 0
  Buffer.from([0x02, 0, 0, 0, 60]), // expiry 60 s
  Buffer.from([0x03]),
  utf8(''), // empty content type
  Buffer.from([0x08]),
  utf8('resp/dev1'),
  Buffer.from([0x09, 0x00, 0x04, 0x00, 0x01, 0xfe, 0xff]), // correlation data 00 01 fe ff
]);

function expectSameProperties(got: RawPublish | undefined, sentUser: [string, string][]): void {
  expect(got).toBeDefined();
  const props = got?.props ?? [];
  const users = props.filter(([n]) => n === 'user').map(([, v]) => v as [string, string]);
  const withoutHop = users.filter(([k]) => k !== 'fleetshift-hop');
  expect(withoutHop).toEqual(sentUser);
  const other = Object.fromEntries(props.filter(([n]) => n !== 'user'));
  expect(other).toMatchObject({
    payloadFormat: 0,
    contentType: '',
    responseTopic: 'resp/dev1',
    correlation: '0001feff',
  });
  expect(other.expiry).toBeGreaterThanOrEqual(57);
  expect(other.expiry).toBeLessThanOrEqual(60);
}

describe('attack: MQTT 5 properties end to end', () => {
  let legacy: TestBroker;
  let iot: TestIotCoreBroker;

  beforeAll(async () => {
    legacy = await startLegacyBroker();
    iot = await startIotCoreBroker();
  });

  afterAll(async () => {
    await iot.stop();
    await legacy.stop();
  });

  it('device-to-backend: every property as sent, and the retained delete', async () => {
    const bridge = await runBridge(
      bridgeConfigInput(legacy, iot, { instanceId: 'p-d2b', sharedGroup: 'pd2b' }),
    );
    const device = await legacyClient(legacy);
    const backend = await rawRecorder(() => iotClient(iot, 'props-backend'), 'dev/#', true);
    try {
      const props = Buffer.concat([...USER_PAIRS.map(([k, v]) => user(k, v)), OTHER_PROPS]);
      device.client.stream.write(rawV5Publish('dev/p/1', 'x', props));
      await waitFor(() => backend.frames().some((f) => f.topic === 'dev/p/1'), 'the message');
      expectSameProperties(
        backend.frames().find((f) => f.topic === 'dev/p/1'),
        USER_PAIRS,
      );

      // Empty correlation data and an empty payload that is not retained.
      await device.client.publishAsync('dev/p/2', '', {
        qos: 1,
        properties: { correlationData: Buffer.alloc(0), contentType: 'text/plain' },
      });
      await waitFor(() => backend.frames().some((f) => f.topic === 'dev/p/2'), 'the empty one');
      const empty = backend.frames().find((f) => f.topic === 'dev/p/2');
      expect(empty?.payload.length).toBe(0);
      expect(empty?.props).toEqual(
        expect.arrayContaining([
          ['correlation', ''],
          ['contentType', 'text/plain'],
        ]),
      );

      await retainedRoundTrip(
        device,
        () => iotClient(iot, `props-late-${Date.now()}`),
        'dev/p/cfg',
      );
    } finally {
      await device.client.endAsync();
      await backend.client.client.endAsync();
      await bridge.stop();
    }
  });

  it('backend-to-device: every property as sent, and the retained delete', async () => {
    const bridge = await runBridge(
      bridgeConfigInput(legacy, iot, {
        direction: 'backend-to-device',
        instanceId: 'p-b2d',
        sharedGroup: 'pb2d',
      }),
    );
    const service = await iotClient(iot, 'props-service');
    const device = await rawRecorder(() => legacyClient(legacy), 'cmd/#', true);
    try {
      const props = Buffer.concat([...USER_PAIRS.map(([k, v]) => user(k, v)), OTHER_PROPS]);
      service.client.stream.write(rawV5Publish('cmd/p/1', 'x', props));
      await waitFor(() => device.frames().some((f) => f.topic === 'cmd/p/1'), 'the command');
      expectSameProperties(
        device.frames().find((f) => f.topic === 'cmd/p/1'),
        USER_PAIRS,
      );
      await retainedRoundTrip(service, () => legacyClient(legacy), 'cmd/p/cfg');
    } finally {
      await service.client.endAsync();
      await device.client.client.endAsync();
      await bridge.stop();
    }
  });

  it('MQTT 3.1.1 downstream: the message and the retained delete still cross', async () => {
    const input = bridgeConfigInput(legacy, iot, { instanceId: 'p-v4', sharedGroup: 'pv4' });
    input.iotCore = { ...input.iotCore, protocolVersion: 4 };
    const bridge = await runBridge(input);
    const device = await legacyClient(legacy);
    const backend = await rawRecorder(() => iotClient(iot, 'props-v4-backend', 4), 'dev/#', false);
    try {
      const props = Buffer.concat([...USER_PAIRS.map(([k, v]) => user(k, v)), OTHER_PROPS]);
      device.client.stream.write(rawV5Publish('dev/p4/1', 'x', props));
      await waitFor(() => backend.frames().some((f) => f.topic === 'dev/p4/1'), 'the message');
      await retainedRoundTrip(
        device,
        () => iotClient(iot, `props-v4-late-${Date.now()}`, 4),
        'dev/p4/cfg',
      );
    } finally {
      await device.client.endAsync();
      await backend.client.client.endAsync();
      await bridge.stop();
    }
  });
});

/**
 * A retained value with properties reaches a late subscriber on the other side with them; the
 * empty retained delete then leaves nothing for the next late subscriber.
 */
async function retainedRoundTrip(
  publisher: RecordingClient,
  lateClient: () => Promise<RecordingClient>,
  topic: string,
): Promise<void> {
  await publisher.client.publishAsync(topic, 'v1', {
    qos: 1,
    retain: true,
    properties: { userProperties: { cfg: 'yes' }, contentType: 'application/json' },
  });
  await settle(500);
  const first = await lateClient();
  await first.client.subscribeAsync(topic, { qos: 1 });
  await waitFor(() => first.received.some((m) => m.retain && m.payload === 'v1'), 'v1 retained');
  const v5 = first.client.options.protocolVersion === 5;
  if (v5) {
    const props = first.received.find((m) => m.payload === 'v1')?.properties;
    expect(props?.userProperties?.cfg).toBe('yes');
    expect(props?.contentType).toBe('application/json');
  }
  await first.client.endAsync();

  await publisher.client.publishAsync(topic, '', { qos: 1, retain: true });
  await settle(700);
  const second = await lateClient();
  await second.client.subscribeAsync(topic, { qos: 1 });
  await settle(500);
  expect(second.received.map((m) => `${m.payload}|retain=${m.retain}`)).toEqual([]);
  await second.client.endAsync();
}
