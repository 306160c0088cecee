import mqttPacket from 'mqtt-packet';

import { type Outbound } from '../../../bridge';
import { encodePublish } from '../../../bridge/publish-encoder';

/** What the reference implementation encodes for the same message. */
function reference(
  message: Outbound,
  messageId: number | undefined,
  protocolVersion: 4 | 5,
): Buffer {
  return mqttPacket.generate(
    {
      cmd: 'publish',
      topic: message.topic,
      payload: message.payload,
      qos: message.qos,
      retain: message.retain,
      dup: false,
      ...(messageId !== undefined ? { messageId } : {}),
      ...(protocolVersion === 5 && message.properties ? { properties: message.properties } : {}),
    },
    { protocolVersion },
  );
}

describe('encodePublish', () => {
  const plain: Outbound = {
    topic: 'dev/1/t',
    payload: Buffer.alloc(200, 1),
    qos: 1,
    retain: false,
  };
  const rich: Outbound = {
    topic: 'dév/ü',
    payload: Buffer.alloc(140, 2),
    qos: 1,
    retain: true,
    properties: {
      payloadFormatIndicator: true,
      messageExpiryInterval: 59,
      contentType: 'application/json',
      responseTopic: 'resp/dev1',
      correlationData: Buffer.from([1, 2]),
      userProperties: { trace: 'abc', a: ['1', '2'], 'fleetshift-hop': 'fs' },
    },
  };

  it.each([
    ['QoS 1 on MQTT 3.1.1', plain, 7, 4],
    ['QoS 1 on MQTT 5 without properties', plain, 65535, 5],
    ['QoS 0 retained on MQTT 5', { ...plain, qos: 0 as const, retain: true }, undefined, 5],
    ['every carried property on MQTT 5', rich, 300, 5],
    ['properties dropped on MQTT 3.1.1', rich, 300, 4],
    ['a payload that needs a 3-byte length', { ...plain, payload: Buffer.alloc(140_000) }, 1, 5],
  ] as const)('writes the same bytes as mqtt-packet: %s', (_name, message, id, version) => {
    expect(encodePublish(message, id, version)).toEqual(reference(message, id, version));
  });
});
