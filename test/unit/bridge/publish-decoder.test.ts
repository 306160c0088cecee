import mqttPacket, { type IPublishPacket } from 'mqtt-packet';

import { mapProperties, type PublishProperties } from '../../../bridge/properties';
import { decodePublish } from '../../../bridge/publish-decoder';
import { encodePublish } from '../../../bridge/publish-encoder';

/** The PUBLISH frame mqtt-packet writes, split into its header byte and its body. */
function frame(packet: IPublishPacket, protocolVersion: 4 | 5): { header: number; body: Buffer } {
  return frameOf(mqttPacket.generate(packet, { protocolVersion }));
}

function utf8(text: string): Buffer {
  const bytes = Buffer.from(text);
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes]);
}

/** A frame's header byte and body. */
function frameOf(bytes: Buffer): { header: number; body: Buffer } {
  let at = 1;
  while (bytes[at] & 0x80) at += 1;
  return { header: bytes[0], body: bytes.subarray(at + 1) };
}

/** What mqtt-packet's own parser reads from the same bytes. */
function reference(packet: IPublishPacket, protocolVersion: 4 | 5): IPublishPacket {
  const parser = mqttPacket.parser({ protocolVersion });
  let parsed: IPublishPacket | undefined;
  parser.on('packet', (p) => (parsed = p as IPublishPacket));
  parser.parse(mqttPacket.generate(packet, { protocolVersion }));
  if (!parsed) throw new Error('mqtt-packet did not parse its own frame');
  return parsed;
}

/** The fields the forwarder reads, for comparison; subscription identifiers are dropped. */
function fields(p: IPublishPacket): object {
  const properties: PublishProperties = { ...p.properties };
  delete properties.subscriptionIdentifier;
  delete properties.userPropertyList;
  return {
    topic: p.topic,
    payload: Buffer.from(p.payload as Buffer),
    qos: p.qos,
    dup: p.dup,
    retain: p.retain,
    messageId: p.qos > 0 ? p.messageId : undefined,
    properties: Object.keys(properties).length ? properties : undefined,
  };
}

const plain: IPublishPacket = {
  cmd: 'publish',
  topic: 'dev/1/t',
  payload: Buffer.alloc(200, 1),
  qos: 1,
  dup: false,
  retain: false,
  messageId: 7,
};

const rich: IPublishPacket = {
  cmd: 'publish',
  topic: 'dév/ü',
  payload: Buffer.from('{"t":21.5}'),
  qos: 1,
  dup: true,
  retain: true,
  messageId: 65535,
  properties: {
    payloadFormatIndicator: true,
    messageExpiryInterval: 59,
    contentType: 'application/json',
    responseTopic: 'resp/dev1',
    correlationData: Buffer.from([1, 2, 3]),
    subscriptionIdentifier: 4,
    userProperties: { trace: 'abc', a: ['1', '2'] },
  },
};

describe('decodePublish', () => {
  it.each([
    ['QoS 1 on MQTT 3.1.1', plain, 4],
    ['QoS 1 on MQTT 5 without properties', plain, 5],
    ['QoS 0 retained on MQTT 5', { ...plain, qos: 0, retain: true, messageId: undefined }, 5],
    ['every property a PUBLISH may carry, DUP set', rich, 5],
    ['an empty payload (a retained delete)', { ...rich, payload: Buffer.alloc(0) }, 5],
    ['only a subscription identifier', { ...plain, properties: { subscriptionIdentifier: 9 } }, 5],
    ['a payload that needs a 3-byte length', { ...plain, payload: Buffer.alloc(140_000) }, 5],
  ] as const)('reads what mqtt-packet reads: %s', (_name, packet, version) => {
    const { header, body } = frame(packet as IPublishPacket, version);

    const decoded = decodePublish(header, body, version);

    expect(typeof decoded).toBe('object');
    expect(fields(decoded as IPublishPacket)).toEqual(fields(reference(packet, version)));
  });

  it('drops the subscription identifier, which names our own subscription', () => {
    const { header, body } = frame(rich, 5);

    const decoded = decodePublish(header, body, 5) as IPublishPacket;

    expect(decoded.properties).not.toHaveProperty('subscriptionIdentifier');
    expect(decoded.properties?.contentType).toBe('application/json');
  });

  it('keeps interleaved user properties in their order through decode, mapping and encode', () => {
    // Built by hand: mqtt-packet and MQTT.js group user properties by key.
    const pair = (k: string, v: string): Buffer =>
      Buffer.concat([Buffer.from([0x26]), utf8(k), utf8(v)]);
    const props = Buffer.concat([pair('a', '1'), pair('b', '2'), pair('a', '3')]);
    const body = Buffer.concat([utf8('t'), Buffer.from([props.length]), props, Buffer.from('x')]);

    const inbound = decodePublish(0x30, body, 5) as IPublishPacket & {
      properties: PublishProperties;
    };
    const mapping = mapProperties(inbound.properties, 0, 'fs');
    if (mapping.kind !== 'forward') throw new Error('not forwarded');
    const out = encodePublish(
      { topic: 't', payload: Buffer.from('x'), qos: 0, retain: false, ...mapping },
      undefined,
      5,
    );
    const again = frameOf(out);
    const forwarded = decodePublish(again.header, again.body, 5) as IPublishPacket & {
      properties: PublishProperties;
    };

    expect(inbound.properties.userPropertyList).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['a', '3'],
    ]);
    expect(forwarded.properties.userPropertyList).toEqual([
      ['a', '1'],
      ['b', '2'],
      ['a', '3'],
      ['fleetshift-hop', 'fs'],
    ]);
  });

  it('gives the payload as a view of the received bytes, not a copy', () => {
    const { header, body } = frame(plain, 4);

    const decoded = decodePublish(header, body, 4) as IPublishPacket;

    (decoded.payload as Buffer)[0] = 9;
    expect(body[body.length - 200]).toBe(9);
  });

  it.each([
    ['QoS 3', 0x36, Buffer.from([0, 1, 0x61, 0, 1]), 4, /QoS 3/],
    ['a topic longer than the packet', 0x32, Buffer.from([0, 9, 0x61]), 4, /topic runs past/],
    ['no packet id at QoS 1', 0x32, Buffer.from([0, 1, 0x61]), 4, /packet identifier/],
    ['packet id 0 at QoS 1', 0x32, Buffer.from([0, 1, 0x61, 0, 0]), 4, /identifier 0/],
    ['properties longer than the packet', 0x30, Buffer.from([0, 1, 0x61, 5, 1]), 5, /run past/],
    ['a property a PUBLISH cannot carry', 0x30, Buffer.from([0, 1, 0x61, 2, 0x11, 0]), 5, /0x11/],
    ['an empty topic (alias only)', 0x30, Buffer.from([0, 0, 3, 0x23, 0, 1]), 5, /topic alias/],
  ] as const)('names the fault in a broken frame: %s', (_name, header, body, version, fault) => {
    expect(decodePublish(header, body, version)).toMatch(fault);
  });
});
