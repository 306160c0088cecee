import { type IPublishPacket, type MqttClient } from 'mqtt';
import { type Logger } from 'pino';

import { type BrokerConfig } from './config';
import { openConnection } from './connection';
import { type BridgeMetrics } from './metrics';
import { OrderedAcks, type AckTicket } from './ordered-acks';

/** An inbound message with the ticket that acks it upstream once it has been handled. */
export interface Inbound {
  packet: IPublishPacket;
  /** When it arrived (Clock time), for latency and message expiry. */
  arrivedAt: number;
  ticket: AckTicket;
}

/** How an upstream connection subscribes. */
export interface UpstreamSpec {
  broker: BrokerConfig;
  clientId: string;
  index: number;
  /**
   * LIMITATION: on an MQTT 3.1.1 upstream the broker clears the RETAIN flag of live messages,
   * so retained state (and retained deletes) only crosses the bridge on MQTT 5 upstream legs.
   *
   * Full filters to subscribe, e.g. `$share/backends/dev/#`. */
  filters: string[];
  reconnect: { minMs: number; maxMs: number };
}

/** Marker passed to MQTT.js's callback: "handled, but send no PUBACK yet". */
const ACK_LATER = new Error('fleetshift: ack deferred until forwarded');

/**
 * One upstream subscription. Messages are handed to `onMessage` at once (many in flight); their
 * PUBACKs go out in arrival order when their tickets complete.
 *
 * MQTT.js reads the next packet only after the message handler's callback has run, and its
 * callback sends the PUBACK. Waiting there would forward one message at a time. Instead the
 * handler calls back with a marker error, which MQTT.js treats as "no PUBACK" and moves on;
 * the PUBACKs are written later, in arrival order and batched per event-loop turn.
 * LIMITATION: this relies on MQTT.js 5 behaviour (a callback error skips the PUBACK) and writes
 * to the client's stream; the integration tests fail if a new MQTT.js version changes either.
 */
export class UpstreamConnection {
  readonly client: MqttClient;
  private acks = new OrderedAcks((id) => this.queueAck(id));
  private accepting = true;
  private ackBatch: number[] = [];
  private ackFlushScheduled = false;

  constructor(
    private readonly spec: UpstreamSpec,
    private readonly onMessage: (inbound: Inbound) => void,
    private readonly metrics: BridgeMetrics,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {
    // LIMITATION: nothing bounds the memory of messages held while the downstream stalls but
    // this receive maximum (65,535 per upstream connection); large payloads can use gigabytes.
    const props = spec.broker.protocolVersion === 5 ? { receiveMaximum: 65535 } : undefined;
    this.client = openConnection(
      {
        broker: spec.broker,
        clientId: spec.clientId,
        side: 'upstream',
        index: spec.index,
        reconnect: spec.reconnect,
        properties: props,
      },
      metrics,
      log,
    );
    this.client.handleMessage = (packet, callback) => this.handle(packet, callback);
    // A new session needs its subscriptions. A resumed one does too, after a Mosquitto 2.0
    // restart: it restores the session without its shared subscriptions, and a repeated
    // SUBSCRIBE does not revive them, so the filters are unsubscribed and subscribed again.
    // LIMITATION: a message published between the two, while no other instance is in the
    // shared group, matches no subscription and is dropped by the broker.
    this.client.on('connect', (connack) => {
      if (!this.accepting) return;
      if (!connack.sessionPresent) void this.subscribe();
      else void this.resubscribe();
    });
    // Acks of the lost connection cannot be sent on the next one: the broker redelivers those
    // messages (with DUP set) in the resumed session and they are forwarded again.
    this.client.on('close', () => {
      this.acks.discard();
      this.ackBatch = [];
    });
  }

  /** Messages received and not yet acked upstream. */
  get pending(): number {
    return this.acks.pending;
  }

  /** Stops taking messages: later ones are left unacked for the broker to redeliver. */
  stopAccepting(): void {
    this.accepting = false;
  }

  private async resubscribe(): Promise<void> {
    try {
      await this.client.unsubscribeAsync(this.spec.filters);
    } catch (err) {
      this.log.warn({ side: 'upstream', err: (err as Error).message }, 'unsubscribe failed');
    }
    await this.subscribe();
  }

  private async subscribe(): Promise<void> {
    try {
      // QoS 1, never lower: a QoS 0 subscription would silently downgrade what it receives.
      const v5 = this.spec.broker.protocolVersion === 5;
      const granted = await this.client.subscribeAsync(this.spec.filters, {
        qos: 1,
        // Retain As Published: without it the broker clears the RETAIN flag on live messages
        // and a retained value (or its deletion) would arrive downstream as an ordinary one.
        ...(v5 ? { rap: true, properties: { subscriptionIdentifier: this.spec.index + 1 } } : {}),
      });
      this.log.info(
        { side: 'upstream', connection: this.spec.index, granted: granted.map((g) => g.qos) },
        'subscribed',
      );
    } catch (err) {
      this.log.error({ side: 'upstream', err: (err as Error).message }, 'subscribe failed');
    }
  }

  /** PUBACKs released in one event-loop turn go out in one write. */
  private queueAck(messageId: number): void {
    this.ackBatch.push(messageId);
    this.metrics.recordAcked();
    if (this.ackFlushScheduled) return;
    this.ackFlushScheduled = true;
    setImmediate(() => this.flushAcks());
  }

  private flushAcks(): void {
    this.ackFlushScheduled = false;
    const ids = this.ackBatch;
    this.ackBatch = [];
    const stream = this.client.stream;
    if (ids.length === 0 || !this.client.connected || !stream) return;
    // PUBACK with reason 0 is the same four bytes in MQTT 3.1.1 and 5: type, length 2, id.
    const bytes = Buffer.allocUnsafe(ids.length * 4);
    ids.forEach((id, i) => {
      bytes[i * 4] = 0x40;
      bytes[i * 4 + 1] = 2;
      bytes.writeUInt16BE(id, i * 4 + 2);
    });
    stream.write(bytes);
  }

  private handle(packet: IPublishPacket, callback: (err?: Error) => void): void {
    if (!this.accepting) {
      // Draining: neither forward nor ack, so the broker keeps the message for a live instance.
      callback(ACK_LATER);
      return;
    }
    if (packet.dup) this.metrics.recordRedelivered();
    if (packet.qos === 0) {
      this.onMessage({ packet, arrivedAt: this.now(), ticket: { complete: () => undefined } });
      callback();
      return;
    }
    const messageId = packet.messageId as number;
    const ticket = this.acks.add(messageId);
    this.onMessage({ packet, arrivedAt: this.now(), ticket });
    callback(ACK_LATER);
  }
}
