import { type IPublishPacket } from 'mqtt';
import { type Logger } from 'pino';

import { type Direction, type RouteConfig } from './config';
import { type DeadLetterStore } from './dead-letter';
import { JitteredBackoff } from './backoff';
import { type AckTicket } from './ordered-acks';
import { MessageAbandoned, MessageExpired, type PoolMessage } from './outbound';
import { DEAD_LETTER_MESSAGES, type DeadLetterReason, iotCoreRefusal } from './iot-core-limits';
import { type BridgeMetrics } from './metrics';
import { carriesHop, hopMarker, mapProperties, type PublishProperties } from './properties';
import { rewriteTopic, topicMatches } from './topic-filter';

/** What the forwarder does with one upstream topic. */
interface TopicRoute {
  /** The downstream topic; undefined for our own echo on MQTT 3.1.1 legs. */
  target: string | undefined;
  /** The marker this message carries if the bridge published it on this very topic. */
  echo: string | undefined;
  /** The marker to add when forwarding to the target. */
  marker: string | undefined;
}

/** What the forwarder needs around it; each part is replaceable in unit tests. */
export interface ForwarderDeps {
  direction: Direction;
  routes: RouteConfig[];
  /** Filters the opposite direction writes on our upstream broker (loop guard on 3.1.1 legs). */
  oppositeWrites: string[];
  /** The bridge id hop markers are made of; undefined where a leg is MQTT 3.1.1. */
  hop: string | undefined;
  /** Whether the downstream broker is IoT Core, whose limits then apply. */
  toIotCore: boolean;
  /**
   * Publishes downstream and settles the message on the downstream acknowledgement (or
   * refusal); its ticket lets it drop a message whose upstream connection is gone unsent.
   */
  publish: (message: PoolMessage) => void;
  deadLetters: DeadLetterStore;
  metrics: BridgeMetrics;
  log: Logger;
  now: () => number;
}

/**
 * Decides what happens to one inbound message and completes its ticket once that is safe:
 * forwarded and acknowledged downstream, or durably dead-lettered, or recognised as our own
 * echo. A failure leaves the ticket open, so the message is never acked without a safe home.
 */
export class Forwarder {
  private active = 0;
  private readonly routes = new Map<string, TopicRoute>();

  constructor(private readonly deps: ForwarderDeps) {}

  /** Messages being forwarded or dead-lettered right now. */
  get inFlight(): number {
    return this.active;
  }

  /** Takes one message from upstream; `ticket` acks it there, `arrivedAt` is Clock time. */
  handle(packet: IPublishPacket, ticket: AckTicket, arrivedAt: number): void {
    const { deps } = this;
    const props = packet.properties;
    const route = this.routeOf(packet.topic);

    if (route.echo !== undefined && carriesHop(props, route.echo)) {
      deps.metrics.recordSkipped('loop');
      ticket.complete();
      return;
    }
    const target = route.target;
    if (target === undefined) {
      deps.metrics.recordSkipped('loop');
      ticket.complete();
      return;
    }
    const payload = packet.payload as Buffer;
    const now = deps.now();
    const mapping = mapProperties(props, now - arrivedAt, route.marker);
    const refusal: DeadLetterReason | undefined =
      mapping.kind === 'expired'
        ? 'expired'
        : deps.toIotCore
          ? iotCoreRefusal(target, payload.length)
          : undefined;

    this.active += 1;
    if (refusal !== undefined || mapping.kind === 'expired') {
      this.deadLetter(packet as Received, ticket, target, refusal ?? 'expired');
      return;
    }
    deps.publish(new Delivery(this, packet, ticket, arrivedAt, target, mapping.properties, now));
  }

  /** A delivery settled downstream: ack it upstream, or find it another safe home. */
  settled(delivery: Delivery, err: Error | undefined): void {
    const { deps } = this;
    const { ticket, topic } = delivery;
    if (!err) {
      deps.metrics.recordForwarded(deps.now() - delivery.arrivedAt);
      this.settle(ticket);
      return;
    }
    if (err instanceof MessageAbandoned) {
      this.active -= 1;
      return;
    }
    const received: Received = {
      payload: delivery.payload,
      qos: delivery.receivedQos,
      retain: delivery.retain,
      properties: delivery.receivedProperties,
    };
    if (err instanceof MessageExpired) {
      this.deadLetter(received, ticket, topic, 'expired');
      return;
    }
    // Connection losses never fail a publish (the lane sends again); a failure is the broker
    // refusing this message, and sending it again would be refused again.
    deps.log.warn({ topic, err: err.message }, 'downstream refused a message');
    this.deadLetter(received, ticket, topic, 'downstream-refused');
  }

  /**
   * Where a topic goes and which hop markers apply to it. Devices reuse a small set of topics,
   * so answers are cached (the cache starts over at 10,000 topics).
   */
  private routeOf(topic: string): TopicRoute {
    const cached = this.routes.get(topic);
    if (cached) return cached;
    const { deps } = this;
    let target: string | undefined;
    // A topic the opposite direction writes is our own echo on MQTT 3.1.1 legs: skipped.
    if (!deps.oppositeWrites.some((filter) => topicMatches(filter, topic))) {
      const route = deps.routes.find((r) => topicMatches(r.filter, topic));
      target = rewriteTopic(topic, route?.rewrite);
    }
    const hop = deps.hop;
    const route: TopicRoute = {
      target,
      echo: hop === undefined ? undefined : hopMarker(hop, topic),
      marker: hop === undefined || target === undefined ? undefined : hopMarker(hop, target),
    };
    if (this.routes.size >= 10_000) this.routes.clear();
    this.routes.set(topic, route);
    return route;
  }

  /**
   * Puts a message in the dead-letter store, then acks it. A store that fails is tried again
   * with backoff for as long as the message's connection lives: the ack waits, and with it
   * (acks go in order) every later one on that connection, but nothing is acked unsafe.
   */
  private deadLetter(
    packet: Received,
    ticket: AckTicket,
    topic: string,
    reason: DeadLetterReason,
    backoff?: JitteredBackoff,
  ): void {
    const { deps } = this;
    const payload = packet.payload as Buffer;
    deps.deadLetters
      .append({
        at: new Date().toISOString(),
        direction: deps.direction,
        reason,
        topic,
        qos: packet.qos,
        retain: packet.retain,
        payload: payload.toString('base64'),
        properties: packet.properties,
      })
      .then(
        () => {
          deps.metrics.recordDeadLettered(reason);
          deps.log.warn(
            { topic, reason, bytes: payload.length, why: DEAD_LETTER_MESSAGES[reason] },
            'message dead-lettered',
          );
          this.settle(ticket);
        },
        (err: Error) => {
          // Gone with its connection: the broker delivers it again, to be decided afresh.
          if (ticket.abandoned) {
            this.active -= 1;
            return;
          }
          const retry = backoff ?? new JitteredBackoff(500, 30_000);
          const inMs = retry.next();
          deps.log.error(
            { topic, reason, err: err.message, retryInMs: inMs },
            'dead-letter store failed',
          );
          setTimeout(() => this.deadLetter(packet, ticket, topic, reason, retry), inMs).unref();
        },
      );
  }

  private settle(ticket: AckTicket): void {
    this.active -= 1;
    ticket.complete();
  }
}

/** What the dead-letter store records of a message: as it was received. */
type Received = Pick<IPublishPacket, 'qos' | 'retain' | 'properties'> & { payload: Buffer };

/**
 * One message on its way downstream: what the pool publishes and what the forwarder needs
 * back when it settles, in one object (see {@link PoolMessage} for why one). It keeps what it
 * needs of the received packet rather than the packet, which can then die young.
 */
class Delivery implements PoolMessage {
  readonly payload: Buffer;
  readonly qos: 0 | 1;
  readonly retain: boolean;
  readonly receivedQos: IPublishPacket['qos'];
  readonly receivedProperties: IPublishPacket['properties'];

  constructor(
    private readonly forwarder: Forwarder,
    packet: IPublishPacket,
    readonly ticket: AckTicket,
    readonly arrivedAt: number,
    readonly topic: string,
    public properties: PublishProperties | undefined,
    /** When the expiry in `properties` was right (see {@link PoolMessage}). */
    public expiryAt: number,
  ) {
    this.payload = packet.payload as Buffer;
    // IoT Core has no QoS 2; a QoS 1 upstream subscription already caps it, this makes sure.
    this.qos = packet.qos >= 1 ? 1 : 0;
    this.retain = packet.retain;
    this.receivedQos = packet.qos;
    this.receivedProperties = packet.properties;
  }

  settle(err?: Error): void {
    this.forwarder.settled(this, err);
  }
}
