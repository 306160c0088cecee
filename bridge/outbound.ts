import { type AckTicket } from './ordered-acks';
import { type PublishProperties } from './properties';

/** A message ready to publish downstream. */
export interface Outbound {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  retain: boolean;
  properties?: PublishProperties;
  /**
   * Clock time at which `properties.messageExpiryInterval` was right. The pool takes off the
   * time the message then waits for a lane (updating both), and gives up once nothing is left.
   */
  expiryAt?: number;
}

/** The message expiry interval ran out while the message waited for a downstream lane. */
export class MessageExpired extends Error {
  constructor() {
    super('message expiry ran out while waiting for a downstream connection');
    this.name = 'MessageExpired';
  }
}

/**
 * Takes the whole seconds a message waited since `expiryAt` (rounded to the nearest, as on
 * arrival) off its expiry; false once none is left. The properties are replaced, not changed:
 * the object may be shared with other messages.
 */
export function takeWaitOffExpiry(message: Outbound, now: number): boolean {
  const expiry = message.properties?.messageExpiryInterval;
  if (expiry === undefined || message.expiryAt === undefined) return true;
  const waitedSeconds = Math.round(Math.max(0, now - message.expiryAt) / 1000);
  if (waitedSeconds === 0) return true;
  if (waitedSeconds >= expiry) return false;
  message.properties = { ...message.properties, messageExpiryInterval: expiry - waitedSeconds };
  message.expiryAt += waitedSeconds * 1000;
  return true;
}

/**
 * A message handed to the pool: what to publish, the upstream ticket it answers, and whom to
 * tell once it is settled. It is the one object that travels from forwarder to lane: at tens of
 * thousands of messages per second, every wrapper or closure per message shows up in the
 * garbage collector's share, because thousands of messages wait at once and survive its sweeps.
 */
export interface PoolMessage extends Outbound {
  /** Its upstream ack; once abandoned, the message is dropped if it has not been sent. */
  readonly ticket?: AckTicket;
  /** Called once: acknowledged downstream (no error), or why not. */
  settle(err?: Error): void;
}

/** How a connection reports a message it published as settled. */
export type Settled = (message: PoolMessage, err?: Error) => void;

/** What a pool publishes through; {@link PublishLane}s in production, fakes in unit tests. */
export interface PoolConnection {
  readonly connected: boolean;
  /** Unacknowledged publishes the broker accepts on this connection, if it says. */
  readonly receiveMaximum?: number;
  /** Set once by the pool that owns the connection; called for every message published. */
  onSettled: Settled;
  publish(message: PoolMessage): void;
  close(): Promise<void>;
}

/** What a connection calls before a pool owns it: nothing may be published yet. */
export const NOT_IN_A_POOL: Settled = () => {
  throw new Error('a downstream connection settled a message before joining a pool');
};

/** The message's upstream connection is gone before it was sent; the broker delivers it again. */
export class MessageAbandoned extends Error {
  constructor() {
    super('upstream connection lost before the message was sent; it will be delivered again');
    this.name = 'MessageAbandoned';
  }
}
