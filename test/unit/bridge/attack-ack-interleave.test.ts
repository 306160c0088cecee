// Attack (write path of the FrameTap): MQTT.js writes a packet as several small chunks through
// the tap's Writable side (corked, then one _write per chunk, each waiting for the socket's
// callback), while the bridge writes its own frames with tap.send() straight to the socket.
// When the socket is congested (the kernel send buffer is full, so each write completes only
// later), a frame sent with tap.send() between two of MQTT.js's chunks lands inside MQTT.js's
// packet on the wire. Here a real loopback TCP socket is congested by a peer that does not read
// for a moment; the peer then reads everything and parses it.
import net from 'node:net';

import mqttPacket from 'mqtt-packet';

import { FrameTap } from '../../../bridge/frame-tap';

jest.setTimeout(20_000);

const PUBACK = (id: number): Buffer => Buffer.from([0x40, 0x02, id >> 8, id & 0xff]);

it('a PUBACK sent while MQTT.js writes a SUBSCRIBE on a congested socket stays outside it', async () => {
  const received: Buffer[] = [];
  let peer!: net.Socket;
  const server = net.createServer((s) => {
    peer = s;
    s.pause(); // congested: reads nothing for now
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  await new Promise<void>((resolve) => {
    const wait = (): void => (peer ? resolve() : void setTimeout(wait, 5));
    wait();
  });
  const tap = new FrameTap(socket, 3, () => undefined);

  // Fill the send path with valid frames (acks of earlier messages) until it pushes back.
  let id = 1;
  while (
    socket.write(Buffer.concat(Array.from({ length: 1024 }, () => PUBACK((id++ % 1000) + 1))))
  ) {
    /* keep filling */
  }

  // MQTT.js subscribing (as after a resumed session), and the bridge releasing one more ack.
  mqttPacket.writeToStream(
    {
      cmd: 'subscribe',
      messageId: 4242,
      subscriptions: [{ topic: '$share/br/dev/#', qos: 1 }],
    } as mqttPacket.ISubscribePacket,
    tap as unknown as NodeJS.WritableStream,
    { protocolVersion: 4 },
  );
  setImmediate(() => tap.send(PUBACK(7777)));
  await new Promise((resolve) => setTimeout(resolve, 50));

  // The peer reads everything now.
  peer.on('data', (chunk: Buffer) => received.push(chunk));
  peer.resume();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  socket.destroy();
  peer.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));

  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const packets: mqttPacket.Packet[] = [];
  const errors: string[] = [];
  parser.on('packet', (p: mqttPacket.Packet) => packets.push(p));
  parser.on('error', (err: Error) => errors.push(err.message));
  const all = Buffer.concat(received);
  const end = all.subarray(Math.max(0, all.length - 48)).toString('hex');
  parser.parse(all);
  const subscribe = packets.find((p) => p.cmd === 'subscribe') as mqttPacket.ISubscribePacket;
  const tail = packets
    .filter((p) => p.cmd !== 'puback' || p.messageId === 7777)
    .map((p) => `${p.cmd}:${p.messageId}`);
  console.log(
    `after the filler: ${JSON.stringify(tail)}, parser errors ${JSON.stringify(errors)}; last bytes on the wire ${end}`,
  );
  // The SUBSCRIBE must be on the wire in one piece (observed: 82 | 40 02 1e 61 | 14 10 92 ...,
  // the PUBACK inside it, so the broker reads a SUBSCRIBE of 0x40 bytes of garbage).
  const whole = mqttPacket.generate(
    {
      cmd: 'subscribe',
      messageId: 4242,
      subscriptions: [{ topic: '$share/br/dev/#', qos: 1 }],
    } as mqttPacket.ISubscribePacket,
    { protocolVersion: 4 },
  );
  expect(all.includes(whole)).toBe(true);
  expect(errors).toEqual([]);
  expect(subscribe?.subscriptions).toEqual([{ topic: '$share/br/dev/#', qos: 1 }]);
  expect(tail).toEqual(['subscribe:4242', 'puback:7777']);
});
