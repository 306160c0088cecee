import { PassThrough } from 'node:stream';

import mqttPacket from 'mqtt-packet';

import { FrameTap } from '../../../bridge/frame-tap';

const PUBLISH = 3;

function publish(id: number, payloadBytes = 20): Buffer {
  return mqttPacket.generate({
    cmd: 'publish',
    topic: `t/${id}`,
    payload: Buffer.alloc(payloadBytes, id),
    qos: 1,
    dup: false,
    retain: false,
    messageId: id,
  });
}

const connack = mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: true });
const pingresp = mqttPacket.generate({ cmd: 'pingresp' });

/** A tap over an in-memory socket: what it tapped and what it passed on to MQTT.js. */
function tapped(): { socket: PassThrough; tap: FrameTap; taken: number[]; passed: () => Buffer } {
  const socket = new PassThrough();
  const taken: number[] = [];
  const tap = new FrameTap(socket, PUBLISH, (header, body) => {
    expect(header >> 4).toBe(PUBLISH);
    taken.push(body.readUInt16BE(2 + body.readUInt16BE(0)));
  });
  const chunks: Buffer[] = [];
  tap.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { socket, tap, taken, passed: () => Buffer.concat(chunks) };
}

async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describe('FrameTap', () => {
  it('takes the tapped frames and passes the others on, in order, from one chunk', async () => {
    const { socket, taken, passed } = tapped();

    socket.write(Buffer.concat([connack, publish(1), publish(2), pingresp, publish(3)]));
    await settle();

    expect(taken).toEqual([1, 2, 3]);
    expect(passed()).toEqual(Buffer.concat([connack, pingresp]));
  });

  it('reassembles frames split at every possible byte', async () => {
    const stream = Buffer.concat([publish(1, 300), connack, publish(2, 300), pingresp]);
    for (let cut = 1; cut < stream.length; cut += 1) {
      const { socket, taken, passed } = tapped();

      socket.write(stream.subarray(0, cut));
      socket.write(stream.subarray(cut));
      await settle();

      expect(taken).toEqual([1, 2]);
      expect(passed()).toEqual(Buffer.concat([connack, pingresp]));
    }
  });

  it('hands over nothing while held, then the rest in order once released', async () => {
    const socket = new PassThrough();
    const taken: number[] = [];
    const tap: FrameTap = new FrameTap(socket, PUBLISH, (_header, body) => {
      taken.push(body.readUInt16BE(2 + body.readUInt16BE(0)));
      if (taken.length === 2) tap.hold(true);
    });
    tap.resume();

    socket.write(Buffer.concat([1, 2, 3, 4].map((id) => publish(id))));
    await settle();
    socket.write(publish(5));
    await settle();

    expect(taken).toEqual([1, 2]);
    expect(socket.isPaused()).toBe(true);
    tap.hold(false);
    await settle();
    await settle();
    expect(taken).toEqual([1, 2, 3, 4, 5]);
  });

  it('closes the connection on a frame length of more than four bytes', async () => {
    const { socket, tap, taken } = tapped();
    const closed = new Promise<Error | undefined>((resolve) => {
      tap.on('error', resolve);
      tap.on('close', () => resolve(undefined));
    });

    socket.write(Buffer.from([0x32, 0xff, 0xff, 0xff, 0xff, 0x01]));

    expect(await closed).toMatchObject({ message: /malformed MQTT frame length/ });
    expect(taken).toEqual([]);
    expect(socket.destroyed).toBe(true);
  });

  it('writes to the socket until it is gone, then refuses', () => {
    const { socket, tap } = tapped();

    expect(tap.send(Buffer.from([0x40, 2, 0, 1]))).toBe(true);
    socket.destroy();

    expect(tap.send(Buffer.from([0x40, 2, 0, 2]))).toBe(false);
  });
});
