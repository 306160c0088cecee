import { type MqttClient } from 'mqtt';
import { type Logger } from 'pino';

export type { Outbound, PoolConnection } from './outbound';

import { type Clock, type TimerHandle } from './clock';
import { type BrokerConfig } from './config';
import { openConnection } from './connection';
import { InFlightWindow } from './in-flight-window';
import { type BridgeMetrics } from './metrics';
import { type AckTicket } from './ordered-acks';
import { MessageAbandoned, MessageExpired, type Outbound, type PoolConnection } from './outbound';
import { PUBACK, PublishLane } from './publish-lane';
import { RateLimiter } from './rate-limiter';

/** Limits of each downstream connection. */
export interface PoolLimits {
  connections: number;
  publishesPerSecond: number;
  maxInFlight: number;
}

interface Lane {
  connection: PoolConnection;
  window: InFlightWindow;
  limiter: RateLimiter;
}

interface Waiting {
  message: Outbound;
  done: (err?: Error) => void;
  ticket: AckTicket | undefined;
}

/**
 * Spreads publishes over several downstream connections, each kept under its publish rate and
 * its window of unacknowledged messages. A message waits in the pool (not in a client) until a
 * connected lane has room, so nothing piles up behind a connection that is down.
 */
export class DownstreamPool {
  private readonly lanes: Lane[];
  private waiting: Waiting[] = [];
  private waitingHead = 0;
  private cursor = 0;
  private timer: TimerHandle | undefined;

  constructor(
    connections: PoolConnection[],
    limits: PoolLimits,
    private readonly clock: Clock,
  ) {
    this.lanes = connections.map((connection) => ({
      connection,
      window: new InFlightWindow(limits.maxInFlight),
      limiter: new RateLimiter(limits.publishesPerSecond, clock),
    }));
  }

  /** Messages waiting for a lane plus messages published and not yet acknowledged. */
  get inFlight(): number {
    return this.queued + this.lanes.reduce((sum, lane) => sum + lane.window.inFlight, 0);
  }

  /** Messages waiting for a lane. */
  get queued(): number {
    return this.waiting.length - this.waitingHead;
  }

  /** Publishes a message; resolves when the downstream broker acknowledged it. */
  publish(message: Outbound): Promise<void> {
    return new Promise((resolve, reject) =>
      this.send(message, (err) => (err ? reject(err) : resolve())),
    );
  }

  /**
   * Like {@link publish} with a callback: no promise per message on the hot path. With the
   * message's upstream ticket, a message still waiting when that ticket is abandoned is
   * dropped (done gets {@link MessageAbandoned}) instead of sent.
   */
  send(message: Outbound, done: (err?: Error) => void, ticket?: AckTicket): void {
    this.waiting.push({ message, done, ticket });
    this.pump();
  }

  /**
   * Drops every waiting message whose upstream connection is gone. Called when one closes, so
   * that while the downstream stalls, memory holds no copies the broker will deliver again.
   */
  dropAbandoned(): void {
    const kept: Waiting[] = [];
    const dropped: Waiting[] = [];
    for (let i = this.waitingHead; i < this.waiting.length; i += 1) {
      const item = this.waiting[i];
      (item.ticket?.abandoned ? dropped : kept).push(item);
    }
    this.waiting = kept;
    this.waitingHead = 0;
    for (const item of dropped) item.done(new MessageAbandoned());
  }

  /** Tells the pool that connections changed state (a lane may be usable again). */
  wake(): void {
    this.pump();
  }

  async close(): Promise<void> {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all(this.lanes.map((lane) => lane.connection.close()));
  }

  private pump(): void {
    while (this.waitingHead < this.waiting.length) {
      const item = this.waiting[this.waitingHead];
      if (item.ticket?.abandoned) {
        this.waitingHead += 1;
        item.done(new MessageAbandoned());
        continue;
      }
      const message = this.stillValid(item.message);
      if (message === undefined) {
        this.waitingHead += 1;
        item.done(new MessageExpired());
        continue;
      }
      const lane = this.nextLane();
      if (!lane) break;
      this.waitingHead += 1;
      this.dispatch(lane, message, item.done);
    }
    if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting.splice(0, this.waitingHead);
      this.waitingHead = 0;
    }
    if (this.waitingHead < this.waiting.length) this.armTimer();
  }

  /** The next connected lane with window room and a rate token, round robin. */
  private nextLane(): Lane | undefined {
    for (let tried = 0; tried < this.lanes.length; tried += 1) {
      const lane = this.lanes[this.cursor];
      this.cursor = (this.cursor + 1) % this.lanes.length;
      if (lane.connection.connected && this.hasRoom(lane) && lane.limiter.tryTake()) {
        lane.window.tryAcquire();
        return lane;
      }
    }
    return undefined;
  }

  /** Room in the lane's own window and under the broker's Receive Maximum. */
  private hasRoom(lane: Lane): boolean {
    const brokerMaximum = lane.connection.receiveMaximum ?? Infinity;
    return lane.window.hasRoom && lane.window.inFlight < brokerMaximum;
  }

  private dispatch(lane: Lane, message: Outbound, done: (err?: Error) => void): void {
    lane.connection.publish(message, (err) => {
      lane.window.release();
      done(err);
      this.pump();
    });
  }

  /**
   * The message with its expiry reduced by the whole seconds it waited here (rounded to the
   * nearest, as on arrival), or undefined once none is left.
   */
  private stillValid(message: Outbound): Outbound | undefined {
    const expiry = message.properties?.messageExpiryInterval;
    if (expiry === undefined || message.expiryAt === undefined) return message;
    const waitedSeconds = Math.round(Math.max(0, this.clock.now() - message.expiryAt) / 1000);
    if (waitedSeconds === 0) return message;
    if (waitedSeconds >= expiry) return undefined;
    return {
      ...message,
      properties: { ...message.properties, messageExpiryInterval: expiry - waitedSeconds },
      expiryAt: undefined,
    };
  }

  /**
   * When every lane is out of tokens, wake when the first one refills. Lanes that are full or
   * disconnected wake the pool themselves (an ack or a reconnect), so a fallback poll suffices.
   */
  private armTimer(): void {
    if (this.timer) return;
    const ready = this.lanes.filter((l) => l.connection.connected && this.hasRoom(l));
    const wait = ready.length ? Math.min(...ready.map((l) => l.limiter.msUntilToken())) : 100;
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(1, wait),
    );
  }
}

/** Opens the pool's MQTT connections to the downstream broker. */
export function openDownstreamPool(
  broker: BrokerConfig,
  limits: PoolLimits,
  clientIdPrefix: string,
  reconnect: { minMs: number; maxMs: number },
  clock: Clock,
  metrics: BridgeMetrics,
  log: Logger,
): { pool: DownstreamPool; clients: MqttClient[] } {
  const lanes: PublishLane[] = [];
  const clients = Array.from({ length: limits.connections }, (_, index) =>
    openConnection(
      {
        broker,
        clientId: `${clientIdPrefix}-down-${index}`,
        side: 'downstream',
        index,
        reconnect,
        tap: {
          packetType: PUBACK,
          onFrame: (_tap, _header, body) => lanes[index].acknowledged(body),
        },
      },
      metrics,
      log,
    ),
  );
  for (const client of clients) lanes.push(new PublishLane(client, broker.protocolVersion));
  const pool = new DownstreamPool(lanes, limits, clock);
  for (const client of clients) client.on('connect', () => pool.wake());
  return { pool, clients };
}
