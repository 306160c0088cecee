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
   * time the message then waits for a lane, and gives up on it once nothing is left.
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

/** What a pool publishes through; MQTT.js clients in production, fakes in unit tests. */
export interface PoolConnection {
  readonly connected: boolean;
  /** Unacknowledged publishes the broker accepts on this connection, if it says. */
  readonly receiveMaximum?: number;
  publish(message: Outbound, done: (err?: Error) => void): void;
  close(): Promise<void>;
}

/** The message's upstream connection is gone before it was sent; the broker delivers it again. */
export class MessageAbandoned extends Error {
  constructor() {
    super('upstream connection lost before the message was sent; it will be delivered again');
    this.name = 'MessageAbandoned';
  }
}
