import { type MqttClient } from 'mqtt';
import { type Logger } from 'pino';

export type { Outbound, PoolConnection, PoolMessage } from './outbound';

import { type Clock, type TimerHandle } from './clock';
import { type BrokerConfig } from './config';
import { openConnection } from './connection';
import { InFlightWindow } from './in-flight-window';
import { type BridgeMetrics } from './metrics';
import {
  MessageAbandoned,
  MessageExpired,
  type Outbound,
  type PoolConnection,
  type PoolMessage,
  takeWaitOffExpiry,
} from './outbound';
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

/**
 * Spreads publishes over several downstream connections, each kept under its publish rate and
 * its window of unacknowledged messages. A message waits in the pool (not in a client) until a
 * connected lane has room, so nothing piles up behind a connection that is down.
 */
export class DownstreamPool {
  private readonly lanes: Lane[];
  private waiting: PoolMessage[] = [];
  private waitingHead = 0;
  private cursor = 0;
  private timer: TimerHandle | undefined;

  constructor(
    connections: PoolConnection[],
    limits: PoolLimits,
    private readonly clock: Clock,
  ) {
    this.lanes = connections.map((connection) => {
      const lane = {
        connection,
        window: new InFlightWindow(limits.maxInFlight),
        limiter: new RateLimiter(limits.publishesPerSecond, clock),
      };
      connection.onSettled = (message, err) => {
        lane.window.release();
        message.settle(err);
        this.pump();
      };
      return lane;
    });
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
      this.send({ ...message, settle: (err) => (err ? reject(err) : resolve()) }),
    );
  }

  /**
   * Like {@link publish}, settling through the message itself: no promise per message on the
   * hot path. A message still waiting when its upstream ticket is abandoned is dropped
   * (settled with {@link MessageAbandoned}) instead of sent.
   */
  send(message: PoolMessage): void {
    this.waiting.push(message);
    this.pump();
  }

  /**
   * Drops every waiting message whose upstream connection is gone. Called when one closes, so
   * that while the downstream stalls, memory holds no copies the broker will deliver again.
   */
  dropAbandoned(): void {
    const kept: PoolMessage[] = [];
    const dropped: PoolMessage[] = [];
    for (let i = this.waitingHead; i < this.waiting.length; i += 1) {
      const message = this.waiting[i];
      (message.ticket?.abandoned ? dropped : kept).push(message);
    }
    this.waiting = kept;
    this.waitingHead = 0;
    for (const message of dropped) message.settle(new MessageAbandoned());
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
      const message = this.waiting[this.waitingHead];
      if (message.ticket?.abandoned) {
        this.waitingHead += 1;
        message.settle(new MessageAbandoned());
        continue;
      }
      if (!takeWaitOffExpiry(message, this.clock.now())) {
        this.waitingHead += 1;
        message.settle(new MessageExpired());
        continue;
      }
      const lane = this.nextLane();
      if (!lane) break;
      this.waitingHead += 1;
      lane.connection.publish(message);
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
  for (const client of clients) {
    lanes.push(new PublishLane(client, broker.protocolVersion, () => clock.now()));
  }
  const pool = new DownstreamPool(lanes, limits, clock);
  for (const client of clients) client.on('connect', () => pool.wake());
  return { pool, clients };
}
