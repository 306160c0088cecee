import { type MqttClient } from 'mqtt';

import { closeConnection } from './connection';
import { FrameTap } from './frame-tap';
import {
  MessageExpired,
  NOT_IN_A_POOL,
  type PoolConnection,
  type PoolMessage,
  type Settled,
  takeWaitOffExpiry,
} from './outbound';
import { encodePublish } from './publish-encoder';

/** Raised when the downstream broker answers a publish with a failure reason code. */
export class DownstreamRefusal extends Error {
  constructor(readonly reasonCode: number) {
    super(`downstream broker refused the publish (reason code ${reasonCode})`);
    this.name = 'DownstreamRefusal';
  }
}

/** MQTT 5 reason code "Packet too large". */
const PACKET_TOO_LARGE = 0x95;

/** MQTT control packet type of PUBACK. */
export const PUBACK = 4;

/**
 * A downstream lane that writes PUBLISH packets itself on a connection MQTT.js keeps open.
 *
 * MQTT.js publishes through a general-purpose store and writes each packet as several small
 * chunks; at tens of thousands of messages per second that bookkeeping and the system calls
 * cost more than the forwarding. Here each packet is encoded once into one buffer, the packets
 * of one event-loop turn go out in one write, and the lane keeps its own unacknowledged
 * messages, encoding them again (DUP set) after a reconnect, as the session resumes. The
 * connection's {@link FrameTap} hands the PUBACKs to {@link acknowledged}, unparsed by MQTT.js.
 * LIMITATION: it writes to the MQTT.js client's stream, so an MQTT.js upgrade must keep that
 * stream the one it opened; the integration tests exercise it.
 * A packet larger than the broker's Maximum Packet Size (from its MQTT 5 CONNACK) is refused
 * here, as the broker would, instead of being sent: a broker drops the connection of a client
 * that exceeds it, and the resend after every reconnect would block the lane for good.
 * A packet sent again after a reconnect has the time since it was first sent taken off its
 * message expiry, and is dead-lettered as expired once none is left.
 */
export class PublishLane implements PoolConnection {
  /** Unacknowledged messages by packet id, in the order they were sent. */
  private readonly unacked = new Map<number, PoolMessage>();
  private nextId = 1;
  private batch: Buffer[] = [];
  private flushScheduled = false;
  /** The broker's Maximum Packet Size; MQTT 3.1.1 brokers announce none. */
  private maxPacketBytes = Infinity;
  /** The broker's Receive Maximum, from its CONNACK; MQTT 3.1.1 brokers announce none. */
  receiveMaximum = Infinity;
  onSettled: Settled = NOT_IN_A_POOL;

  constructor(
    private readonly client: MqttClient,
    private readonly protocolVersion: 4 | 5,
    /** Clock time, as the messages' `expiryAt`. */
    private readonly now: () => number = Date.now,
  ) {
    client.on('connect', (connack) => {
      this.maxPacketBytes = connack.properties?.maximumPacketSize ?? Infinity;
      // MQTT 5: unacknowledged publishes the broker accepts; more gets us disconnected.
      this.receiveMaximum = connack.properties?.receiveMaximum ?? Infinity;
      this.resend();
    });
    client.on('close', () => {
      this.batch = [];
    });
  }

  /** Handles the body of a PUBACK: packet id, then (MQTT 5, optional) a reason code. */
  acknowledged(body: Buffer): void {
    if (body.length < 2) return;
    const messageId = body.readUInt16BE(0);
    const message = this.unacked.get(messageId);
    if (!message) return;
    this.unacked.delete(messageId);
    const code = body.length > 2 ? body[2] : 0;
    // 0x10 "no matching subscribers" still means the broker took the message.
    this.onSettled(message, code >= 0x80 ? new DownstreamRefusal(code) : undefined);
  }

  get connected(): boolean {
    return this.client.connected;
  }

  publish(message: PoolMessage): void {
    const messageId = message.qos === 1 ? this.allocateId() : undefined;
    const bytes = encodePublish(message, messageId, this.protocolVersion);
    if (bytes.length > this.maxPacketBytes) {
      setImmediate(() => this.onSettled(message, new DownstreamRefusal(PACKET_TOO_LARGE)));
      return;
    }
    if (messageId !== undefined) this.unacked.set(messageId, message);
    this.write(bytes);
    if (message.qos === 0) setImmediate(() => this.onSettled(message));
  }

  async close(): Promise<void> {
    this.flush();
    // A stalled broker never answers the DISCONNECT; the socket is then destroyed.
    await closeConnection(this.client);
  }

  private allocateId(): number {
    // The window keeps far fewer than 65535 in flight, so a free id is always near.
    while (this.unacked.has(this.nextId)) this.nextId = (this.nextId % 65535) + 1;
    const id = this.nextId;
    this.nextId = (this.nextId % 65535) + 1;
    return id;
  }

  private write(bytes: Buffer): void {
    this.batch.push(bytes);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    // Offline: the packets stay in `unacked` and go out again on connect.
    const stream = this.client.stream;
    if (!this.client.connected || !stream) return;
    const bytes = batch.length === 1 ? batch[0] : Buffer.concat(batch);
    // Through the tap straight to its socket, past the tap's own stream machinery.
    if (stream instanceof FrameTap) stream.send(bytes);
    else stream.write(bytes);
  }

  /**
   * After a reconnect, everything not yet acknowledged goes out again, in order, as DUP. The
   * bytes are encoded again rather than kept: a reconnect is rare, a kept copy is not. A broker
   * that came back with a smaller Maximum Packet Size gets no packet over it (see above).
   */
  private resend(): void {
    this.batch = [];
    for (const [messageId, message] of this.unacked) {
      if (!takeWaitOffExpiry(message, this.now())) {
        this.unacked.delete(messageId);
        setImmediate(() => this.onSettled(message, new MessageExpired()));
        continue;
      }
      const bytes = encodePublish(message, messageId, this.protocolVersion);
      if (bytes.length > this.maxPacketBytes) {
        this.unacked.delete(messageId);
        setImmediate(() => this.onSettled(message, new DownstreamRefusal(PACKET_TOO_LARGE)));
        continue;
      }
      bytes[0] |= 0x08;
      this.write(bytes);
    }
  }
}
