// The lane's resend after a reconnect, against a stand-in for the MQTT.js client: what it
// writes is parsed back with mqtt-packet. The real broker path is in the integration tests.
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';

import { type IConnackPacket, type MqttClient } from 'mqtt';
import mqttPacket, { type IPublishPacket } from 'mqtt-packet';

import { type PoolMessage } from '../../../bridge';
import { MessageExpired } from '../../../bridge/outbound';
import { DownstreamRefusal, PublishLane } from '../../../bridge/publish-lane';

/** A client whose connection state the test sets, writing into a stream the test reads. */
function fakeClient(): MqttClient & { written(): IPublishPacket[] } {
  const stream = new PassThrough();
  const client = Object.assign(new EventEmitter(), { connected: true, stream });
  const written = (): IPublishPacket[] => {
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    const packets: IPublishPacket[] = [];
    parser.on('packet', (packet) => packets.push(packet as IPublishPacket));
    let chunk: Buffer | null;
    while ((chunk = stream.read() as Buffer | null)) parser.parse(chunk);
    return packets;
  };
  return Object.assign(client, { written }) as unknown as MqttClient & {
    written(): IPublishPacket[];
  };
}

function message(topic: string, bytes: number): PoolMessage {
  return { topic, payload: Buffer.alloc(bytes, 1), qos: 1, retain: false, settle: () => {} };
}

/** The CONNACK of a new session, with the broker's properties. */
function connack(properties: IConnackPacket['properties'] = {}): IConnackPacket {
  return { cmd: 'connack', sessionPresent: false, properties };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PublishLane after a reconnect', () => {
  it('sends every unacknowledged packet again with DUP set, in order', async () => {
    const client = fakeClient();
    const lane = new PublishLane(client, 5);
    lane.onSettled = () => undefined;
    client.emit('connect', connack());
    lane.publish(message('a/1', 10));
    lane.publish(message('a/2', 10));
    await turn();
    expect(client.written().map((p) => [p.topic, p.dup])).toEqual([
      ['a/1', false],
      ['a/2', false],
    ]);

    client.emit('close');
    client.emit('connect', connack());
    await turn();

    expect(client.written().map((p) => [p.topic, p.dup])).toEqual([
      ['a/1', true],
      ['a/2', true],
    ]);
  });

  it('refuses, instead of sending again, a packet over the Maximum Packet Size the broker now has', async () => {
    const client = fakeClient();
    const lane = new PublishLane(client, 5);
    const settled: [string, unknown][] = [];
    lane.onSettled = (m, err) => settled.push([m.topic, err]);
    client.emit('connect', connack());
    lane.publish(message('big', 2000));
    lane.publish(message('small', 10));
    await turn();
    client.written();

    client.emit('close');
    client.emit('connect', connack({ maximumPacketSize: 1024 }));
    await turn();

    expect(client.written().map((p) => p.topic)).toEqual(['small']);
    expect(settled).toHaveLength(1);
    expect(settled[0][0]).toBe('big');
    expect(settled[0][1]).toBeInstanceOf(DownstreamRefusal);
    expect((settled[0][1] as DownstreamRefusal).reasonCode).toBe(0x95);
  });

  it('takes the time since the first send off the message expiry, and gives up when none is left', async () => {
    const client = fakeClient();
    let now = 0;
    const lane = new PublishLane(client, 5, () => now);
    const settled: [string, unknown][] = [];
    lane.onSettled = (m, err) => settled.push([m.topic, err]);
    const expiring = (topic: string, seconds: number): PoolMessage => ({
      ...message(topic, 10),
      properties: { messageExpiryInterval: seconds },
      expiryAt: now,
    });
    client.emit('connect', connack());
    lane.publish(expiring('long', 10));
    lane.publish(expiring('short', 3));
    await turn();
    client.written();

    now = 3_400;
    client.emit('close');
    client.emit('connect', connack());
    await turn();

    const resent = client.written();
    expect(resent.map((p) => [p.topic, p.properties?.messageExpiryInterval])).toEqual([
      ['long', 7],
    ]);
    expect(settled.map(([topic, err]) => [topic, err instanceof MessageExpired])).toEqual([
      ['short', true],
    ]);
  });
});
