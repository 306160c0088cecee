import { readFileSync } from 'node:fs';

import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { type Logger } from 'pino';

import { JitteredBackoff } from './backoff';
import { type BrokerConfig } from './config';
import { type BridgeMetrics, type ConnectionSide } from './metrics';

/** How one bridge connection is opened and kept open. */
export interface ConnectionSpec {
  broker: BrokerConfig;
  clientId: string;
  side: ConnectionSide;
  index: number;
  reconnect: { minMs: number; maxMs: number };
  /** Extra MQTT 5 CONNECT properties, e.g. a large receive maximum upstream. */
  properties?: IClientOptions['properties'];
}

/**
 * Opens an MQTT connection with a persistent session and reconnects with jittered exponential
 * backoff. MQTT.js keeps unacknowledged QoS 1 publishes in its store and sends them again after
 * a reconnect, so the downstream pool does not lose what was in flight when a link dropped.
 */
export function openConnection(
  spec: ConnectionSpec,
  metrics: BridgeMetrics,
  log: Logger,
): MqttClient {
  const { broker } = spec;
  const backoff = new JitteredBackoff(spec.reconnect.minMs, spec.reconnect.maxMs);
  const options: IClientOptions = {
    clientId: spec.clientId,
    protocolVersion: broker.protocolVersion,
    // Persistent session: the broker queues QoS 1 messages while this instance is away.
    clean: false,
    keepalive: broker.keepaliveSeconds,
    connectTimeout: broker.connectTimeoutSeconds * 1000,
    reconnectPeriod: backoff.next(),
    resubscribe: false,
    // MQTT.js formats a debug line per packet even when debugging is off; the bridge logs
    // through pino instead.
    log: () => undefined,
    ...(broker.protocolVersion === 5
      ? { properties: { sessionExpiryInterval: broker.sessionExpirySeconds, ...spec.properties } }
      : {}),
    ...(broker.tls
      ? {
          ca: readFileSync(broker.tls.caFile),
          cert: readFileSync(broker.tls.certFile),
          key: readFileSync(broker.tls.keyFile),
          rejectUnauthorized: true,
        }
      : {}),
  };
  const client = mqtt.connect(broker.url, options);
  const fields = { side: spec.side, connection: spec.index, clientId: spec.clientId };
  metrics.setConnection(spec.side, spec.index, false);

  client.on('connect', (connack) => {
    backoff.reset();
    metrics.setConnection(spec.side, spec.index, true);
    log.info({ ...fields, sessionPresent: connack.sessionPresent }, 'connected');
  });
  // Runs before MQTT.js arms its reconnect timer, so each attempt gets a fresh jittered delay.
  client.prependListener('close', () => {
    client.options.reconnectPeriod = backoff.next();
    metrics.setConnection(spec.side, spec.index, false);
  });
  client.on('reconnect', () => {
    metrics.recordReconnect(spec.side);
    log.debug(fields, 'reconnecting');
  });
  client.on('offline', () => log.warn(fields, 'connection lost'));
  client.on('error', (err) => log.warn({ ...fields, err: err.message }, 'connection error'));
  return client;
}

/** Closes a client, waiting at most `ms` for its DISCONNECT to go out. */
export async function closeConnection(client: MqttClient, ms = 2000): Promise<void> {
  await Promise.race([
    client.endAsync(false),
    new Promise<void>((resolve) => setTimeout(resolve, ms).unref()),
  ]);
  if (!client.disconnected) await client.endAsync(true);
}
