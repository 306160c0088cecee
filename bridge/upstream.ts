import { type IPublishPacket, type MqttClient } from 'mqtt';
import { type Logger } from 'pino';

import { type BrokerConfig } from './config';
import { AckChannel } from './ack-channel';
import { openConnection } from './connection';
import { type FrameTap } from './frame-tap';
import { type BridgeMetrics } from './metrics';
import { type AckTicket } from './ordered-acks';
import { decodePublish } from './publish-decoder';

/**
 * Takes an inbound message with the ticket that acks it upstream once it has been handled, and
 * when it arrived (Clock time, for latency and message expiry).
 */
export type InboundHandler = (packet: IPublishPacket, ticket: AckTicket, arrivedAt: number) => void;

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
  /** Messages held unacked at most: the MQTT 5 Receive Maximum, and enforced on any version. */
  receiveMaximum: number;
  reconnect: { minMs: number; maxMs: number };
}

/** MQTT control packet type of PUBLISH. */
const PUBLISH = 3;

/**
 * One upstream subscription. MQTT.js opens the connection, subscribes and pings; the PUBLISH
 * frames themselves are read by a {@link FrameTap} and handed to `onMessage` at once (many in
 * flight). Their PUBACKs go out in arrival order, on the socket they came on, when their
 * tickets complete.
 */
export class UpstreamConnection {
  readonly client: MqttClient;
  private channel: AckChannel | undefined;
  private accepting = true;

  constructor(
    private readonly spec: UpstreamSpec,
    private readonly onMessage: InboundHandler,
    private readonly metrics: BridgeMetrics,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {
    // The receive maximum bounds what this connection holds while the downstream is slow; the
    // tap enforces it too (see receive), for brokers that send past it and for MQTT 3.1.1.
    // LIMITATION: the bound counts messages, not bytes. While the tap holds the socket,
    // MQTT.js reads no PINGRESP either; a hold longer than 1.5 keepalives ends in a reconnect,
    // and the broker delivers the unacked messages again.
    const v5 = spec.broker.protocolVersion === 5;
    const props = v5 ? { receiveMaximum: spec.receiveMaximum } : undefined;
    this.client = openConnection(
      {
        broker: spec.broker,
        clientId: spec.clientId,
        side: 'upstream',
        index: spec.index,
        reconnect: spec.reconnect,
        properties: props,
        tap: {
          packetType: PUBLISH,
          onFrame: (tap, header, body) => this.receive(tap, header, body),
        },
      },
      metrics,
      log,
    );
    // A new session needs its subscriptions. A resumed one does too, after a Mosquitto 2.0
    // restart: it restores the session without its shared subscriptions, and a repeated
    // SUBSCRIBE does not revive them, so the filters are unsubscribed and subscribed again
    // (see resubscribe for how no message falls between the two).
    this.client.on('connect', (connack) => {
      if (!this.accepting) return;
      if (!connack.sessionPresent) void this.subscribe();
      else void this.resubscribe();
    });
    // Acks of the lost connection cannot be sent on the next one: the broker redelivers those
    // messages (with DUP set) in the resumed session and they are forwarded again.
    this.client.on('close', () => {
      this.channel?.discard();
      this.channel = undefined;
    });
  }

  /** Messages received and not yet acked upstream. */
  get pending(): number {
    return this.channel?.pending ?? 0;
  }

  /** Stops taking messages: later ones are left unacked for the broker to redeliver. */
  stopAccepting(): void {
    this.accepting = false;
  }

  /**
   * Unsubscribes and subscribes the filters again, with a stand-in group around the gap: a
   * message published while the real subscription is down would match nothing (a single
   * instance, or all of them resuming) and the broker would drop it. The stand-in group has
   * only this connection, so it takes those; messages in the short overlap arrive twice.
   */
  private async resubscribe(): Promise<void> {
    const standIn = this.spec.filters.map(standInFilter);
    await this.subscribe(standIn);
    await this.unsubscribe(this.spec.filters);
    await this.subscribe(this.spec.filters);
    await this.unsubscribe(standIn);
  }

  private async unsubscribe(filters: string[]): Promise<void> {
    try {
      await this.client.unsubscribeAsync(filters);
    } catch (err) {
      this.log.warn({ side: 'upstream', err: (err as Error).message }, 'unsubscribe failed');
    }
  }

  private async subscribe(filters = this.spec.filters): Promise<void> {
    try {
      // QoS 1, never lower: a QoS 0 subscription would silently downgrade what it receives.
      const v5 = this.spec.broker.protocolVersion === 5;
      const granted = await this.client.subscribeAsync(filters, {
        qos: 1,
        // Retain As Published: without it the broker clears the RETAIN flag on live messages
        // and a retained value (or its deletion) would arrive downstream as an ordinary one.
        ...(v5 ? { rap: true } : {}),
      });
      this.log.info(
        {
          side: 'upstream',
          connection: this.spec.index,
          filters,
          granted: granted.map((g) => g.qos),
        },
        'subscribed',
      );
    } catch (err) {
      this.log.error({ side: 'upstream', err: (err as Error).message }, 'subscribe failed');
    }
  }

  private receive(tap: FrameTap, header: number, body: Buffer): void {
    if (this.channel?.tap !== tap) {
      this.channel?.discard();
      this.channel = new AckChannel(tap, () => this.released());
    }
    // Draining: neither forward nor ack, so the broker keeps the message for a live instance.
    if (!this.accepting) return;

    const packet = tap.accepted
      ? decodePublish(header, body, this.spec.broker.protocolVersion)
      : 'PUBLISH before the broker accepted the connection';
    if (typeof packet === 'string' || packet.qos === 2) {
      // The broker broke the protocol (or the QoS 1 grant); a new session gets it again.
      const fault = typeof packet === 'string' ? packet : 'QoS 2 on a QoS 1 subscription';
      this.log.error({ side: 'upstream', fault }, 'malformed message; reconnecting');
      tap.destroy();
      return;
    }
    if (packet.dup) this.metrics.recordRedelivered();
    const ticket = packet.qos === 1 ? this.channel.take(packet.messageId as number) : NO_ACK_NEEDED;
    // A broker that sends past our Receive Maximum (or an MQTT 3.1.1 broker with a larger
    // in-flight window) is made to wait: the socket is not read until acks go out. A broker
    // that keeps to it is never held, so its PINGRESPs are read even while all are in flight.
    if (this.channel.pending > this.spec.receiveMaximum) tap.hold(true);
    this.onMessage(packet, ticket, this.now());
  }

  /** An ack was released: count it, and read the socket again once well below the maximum. */
  private released(): void {
    this.metrics.recordAcked();
    const channel = this.channel;
    // Three quarters: resuming at the maximum would hold and release once per message.
    if (channel && channel.pending * 4 <= this.spec.receiveMaximum * 3) channel.tap.hold(false);
  }
}

/** `$share/g/dev/#` becomes `$share/g-resume/dev/#`: same topics, a group of its own. */
function standInFilter(filter: string): string {
  return filter.replace(/^\$share\/([^/]+)\//, (_all, group: string) => `$share/${group}-resume/`);
}

/** The ticket of a QoS 0 message: nothing is owed upstream. */
const NO_ACK_NEEDED: AckTicket = { complete: () => undefined, abandoned: false };
