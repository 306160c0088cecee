import { readFileSync } from 'node:fs';

import { type IPublishPacket } from 'mqtt';

import { type BridgeHandle } from '../../../bridge';
import { hopMarker, type PublishProperties } from '../../../bridge/properties';
import { decodePublish } from '../../../bridge/publish-decoder';
import {
  bridgeConfig,
  bridgeConfigInput,
  legacyClient,
  runBridge,
  settle,
  useBrokerScene,
  waitFor,
} from './fixtures';

describe('bridge forwarding, device-to-backend', () => {
  // `#`: the bridge here also routes `a/#`, which the topic-limit test publishes to.
  const scene = useBrokerScene({ legacy: { extraConfig: ['sys_interval 1'] }, backendFilter: '#' });
  let bridge: BridgeHandle;
  let deadLetterFile: string;

  beforeAll(async () => {
    const input = bridgeConfigInput(scene.legacy, scene.iot, {
      routes: { 'device-to-backend': [{ filter: 'dev/#' }, { filter: 'a/#' }] },
    });
    deadLetterFile = (input.deadLetter as { path: string }).path;
    bridge = await runBridge(input);
  });

  afterAll(async () => {
    await bridge.stop();
  });

  beforeEach(() => {
    scene.backend.received.length = 0;
  });

  it('keeps QoS 1 as QoS 1 and sends QoS 2 to IoT Core as QoS 1', async () => {
    await scene.device.client.publishAsync('dev/1/q1', 'one', { qos: 1 });
    await scene.device.client.publishAsync('dev/1/q2', 'two', { qos: 2 });
    await waitFor(() => scene.backend.received.length >= 2, 'both messages');
    const byTopic = Object.fromEntries(scene.backend.received.map((m) => [m.topic, m]));
    expect(byTopic['dev/1/q1']).toMatchObject({ payload: 'one', qos: 1 });
    expect(byTopic['dev/1/q2']).toMatchObject({ payload: 'two', qos: 1 });
  });

  it('carries MQTT 5 properties over and reduces the message expiry', async () => {
    await scene.device.client.publishAsync('dev/1/props', '{}', {
      qos: 1,
      properties: {
        userProperties: { trace: 'abc', a: ['1', '2'] },
        contentType: 'application/json',
        responseTopic: 'resp/dev1',
        correlationData: Buffer.from([1, 2]),
        payloadFormatIndicator: true,
        messageExpiryInterval: 60,
      },
    });
    await waitFor(() => scene.backend.received.length === 1, 'the message');
    const props = scene.backend.received[0].properties ?? {};
    expect(props.userProperties).toEqual({
      trace: 'abc',
      a: ['1', '2'],
      'fleetshift-hop': hopMarker('fs', 'dev/1/props'),
    });
    expect(Object.keys(props.userProperties ?? {})).toEqual(['trace', 'a', 'fleetshift-hop']);
    expect(props.contentType).toBe('application/json');
    expect(props.responseTopic).toBe('resp/dev1');
    expect(Buffer.from(props.correlationData as Buffer)).toEqual(Buffer.from([1, 2]));
    expect(props.payloadFormatIndicator).toBe(true);
    // Whole seconds: the bridge rounds its share, each broker deducts its own.
    expect(props.messageExpiryInterval).toBeGreaterThanOrEqual(57);
    expect(props.messageExpiryInterval).toBeLessThanOrEqual(60);
  });

  it('keeps interleaved user properties in the order they were sent', async () => {
    // MQTT.js groups user properties by key, so both ends here read and write raw frames.
    const pair = (k: string, v: string): Buffer =>
      Buffer.concat([Buffer.from([0x26]), utf8(k), utf8(v)]);
    const props = Buffer.concat([pair('a', '1'), pair('b', '2'), pair('a', '3')]);
    const body = Buffer.concat([
      utf8('dev/1/ordered'),
      Buffer.from([props.length]),
      props,
      Buffer.from('x'),
    ]);
    const raw: Buffer[] = [];
    scene.backend.client.stream.on('data', (chunk: Buffer) => raw.push(chunk));

    scene.device.client.stream.write(Buffer.concat([Buffer.from([0x30, body.length]), body]));

    await waitFor(() => scene.backend.received.some((m) => m.topic === 'dev/1/ordered'), 'it');
    const frames = publishFrames(Buffer.concat(raw));
    const forwarded = frames
      .map((f) => decodePublish(f.header, f.body, 5))
      .find((p): p is IPublishPacket => typeof p === 'object' && p.topic === 'dev/1/ordered');
    const list = (forwarded?.properties as PublishProperties | undefined)?.userPropertyList;
    expect(list).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['a', '3'],
      ['fleetshift-hop', hopMarker('fs', 'dev/1/ordered')],
    ]);
  });

  it('republishes an aliased publish with its full topic, without alias or subscription id', async () => {
    const aliased = await legacyClient(scene.legacy, 5);
    try {
      // The broker allows client aliases only up to the maximum it announced.
      await aliased.client.publishAsync('dev/1/alias', 'first', {
        qos: 1,
        properties: { topicAlias: 5 },
      });
      await aliased.client.publishAsync('', 'second', { qos: 1, properties: { topicAlias: 5 } });
      await waitFor(() => scene.backend.received.length === 2, 'both aliased messages');
      for (const message of scene.backend.received) {
        expect(message.topic).toBe('dev/1/alias');
        expect(message.properties?.topicAlias).toBeUndefined();
        expect(message.properties?.subscriptionIdentifier).toBeUndefined();
      }
      expect(scene.backend.received.map((m) => m.payload)).toEqual(['first', 'second']);
    } finally {
      await aliased.client.endAsync();
    }
  });

  it('dead-letters an oversized payload, counts it, acks it, and keeps traffic flowing', async () => {
    const before = bridge.metrics.deadLetteredByReason['payload-too-large'];
    await scene.device.client.publishAsync('dev/1/big', Buffer.alloc(140_000, 7), { qos: 1 });
    await scene.device.client.publishAsync('dev/1/after', 'after', { qos: 1 });
    await waitFor(
      () => scene.backend.received.some((m) => m.topic === 'dev/1/after'),
      'the next one',
    );
    expect(scene.backend.received.map((m) => m.topic)).toEqual(['dev/1/after']);
    // Counted once the dead-letter file is synced, which may be after the next message arrived.
    await waitFor(
      () => bridge.metrics.deadLetteredByReason['payload-too-large'] === before + 1,
      'the dead letter counted',
    );
    const records = readFileSync(deadLetterFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const big = records.find((r) => r.topic === 'dev/1/big');
    expect(big).toMatchObject({ reason: 'payload-too-large', qos: 1 });
    expect(Buffer.from(big.payload, 'base64').length).toBe(140_000);
    await waitFor(() => bridge.health().inFlight === 0, 'every ack released');
  });

  it('refuses topics deeper than 8 levels or longer than 256 bytes before publishing', async () => {
    const deep = 'a/b/c/d/e/f/g/h/i';
    const long = `dev/${'x'.repeat(260)}`;
    const limit = 'a/b/c/d/e/f/g/h';
    await scene.device.client.publishAsync(deep, 'deep', { qos: 1 });
    await scene.device.client.publishAsync(long, 'long', { qos: 1 });
    await scene.device.client.publishAsync(limit, 'ok', { qos: 1 });
    await waitFor(() => scene.backend.received.length === 1, 'the topic at the limit');
    expect(scene.backend.received[0].topic).toBe(limit);
    const counted = (): Record<string, number> => bridge.metrics.deadLetteredByReason;
    await waitFor(
      () => counted()['topic-too-deep'] === 1 && counted()['topic-too-long'] === 1,
      'both refusals counted once synced',
    );
    await settle(200);
    expect(counted()['topic-too-deep']).toBe(1);
    expect(counted()['topic-too-long']).toBe(1);
  });

  it('never forwards system topics to IoT Core, and refuses routes that would', async () => {
    const everything = await runBridge(
      bridgeConfigInput(scene.legacy, scene.iot, {
        instanceId: 'i9',
        sharedGroup: 'everything',
        routes: { 'device-to-backend': [{ filter: '#' }] },
      }),
    );
    try {
      // The legacy broker publishes $SYS every second; two intervals pass.
      await scene.device.client.publishAsync('dev/9/x', 'x', { qos: 1 });
      await settle(2500);
      expect(everything.metrics.totals.forwarded).toBe(1);
      expect(everything.metrics.deadLetteredByReason['system-topic']).toBe(0);
      expect(scene.backend.received.filter((m) => m.topic.startsWith('$'))).toEqual([]);
    } finally {
      await everything.stop();
    }
    const refused = bridgeConfigInput(scene.legacy, scene.iot, {
      routes: {
        'device-to-backend': [
          { filter: '$SYS/#' },
          { filter: 'sys/#', rewrite: { from: 'sys/', to: '$aws/' } },
        ],
      },
    });
    expect(() => bridgeConfig(refused)).toThrow(
      /routes\.device-to-backend\.0: topics starting with \$[^\n]*\n\s*routes\.device-to-backend\.1:/,
    );
  });
});

function utf8(text: string): Buffer {
  const bytes = Buffer.from(text);
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
}

/** The PUBLISH frames in a captured byte stream. */
function publishFrames(bytes: Buffer): { header: number; body: Buffer }[] {
  const frames: { header: number; body: Buffer }[] = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    let length = 0;
    let multiplier = 1;
    let i = at + 1;
    while (bytes[i] & 0x80) {
      length += (bytes[i++] & 0x7f) * multiplier;
      multiplier *= 128;
    }
    length += bytes[i++] * multiplier;
    if (bytes[at] >> 4 === 3)
      frames.push({ header: bytes[at], body: bytes.subarray(i, i + length) });
    at = i + length;
  }
  return frames;
}
