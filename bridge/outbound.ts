import { type PublishProperties } from './properties';

/** A message ready to publish downstream. */
export interface Outbound {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  retain: boolean;
  properties?: PublishProperties;
}

/** What a pool publishes through; MQTT.js clients in production, fakes in unit tests. */
export interface PoolConnection {
  readonly connected: boolean;
  publish(message: Outbound, done: (err?: Error) => void): void;
  close(): Promise<void>;
}
