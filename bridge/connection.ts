import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { type Duplex } from 'node:stream';

import { type IClientOptions, MqttClient } from 'mqtt';
import { type Logger } from 'pino';

import { JitteredBackoff } from './backoff';
import { type BrokerConfig } from './config';
import { FrameTap } from './frame-tap';
import { type BridgeMetrics, type ConnectionSide } from './metrics';

/** Frames of one packet type that the bridge reads itself instead of MQTT.js. */
export interface TapSpec {
  packetType: number;
  /** Called for each frame of that type, with the tap of the socket it came on. */
  onFrame: (tap: FrameTap, header: number, body: Buffer) => void;
}

/** How one bridge connection is opened and kept open. */
export interface ConnectionSpec {
  broker: BrokerConfig;
  clientId: string;
  side: ConnectionSide;
  index: number;
  reconnect: { minMs: number; maxMs: number };
  /** Extra MQTT 5 CONNECT properties, e.g. a large receive maximum upstream. */
  properties?: IClientOptions['properties'];
  tap?: TapSpec;
}

/**
 * Opens an MQTT connection with a persistent session and reconnects with jittered exponential
 * backoff. The socket is opened here, to exactly the configured address (no proxy taken from
 * the environment), and goes through a {@link FrameTap} when the spec asks for one.
 */
export function openConnection(
  spec: ConnectionSpec,
  metrics: BridgeMetrics,
  log: Logger,
): MqttClient {
  const { broker } = spec;
  const backoff = new JitteredBackoff(spec.reconnect.minMs, spec.reconnect.maxMs);
  const { username, password } = new URL(broker.url);
  const options: IClientOptions = {
    clientId: spec.clientId,
    // A broker URL may carry its credentials (mqtt://user:secret@host:port).
    ...(username ? { username: decodeURIComponent(username) } : {}),
    ...(password ? { password: decodeURIComponent(password) } : {}),
    protocolVersion: broker.protocolVersion,
    // Persistent session: the broker queues QoS 1 messages while this instance is away.
    clean: false,
    keepalive: broker.keepaliveSeconds,
    connectTimeout: broker.connectTimeoutSeconds * 1000,
    reconnectPeriod: backoff.next(),
    // A broker that refuses the CONNECT (credentials being rotated, server busy) is asked
    // again with the same backoff; MQTT.js would otherwise give up for good.
    reconnectOnConnackError: true,
    resubscribe: false,
    // MQTT.js formats a debug line per packet even when debugging is off; the bridge logs
    // through pino instead.
    log: () => undefined,
    ...(broker.protocolVersion === 5
      ? { properties: { sessionExpiryInterval: broker.sessionExpirySeconds, ...spec.properties } }
      : {}),
  };
  const connect = socketFactory(broker);
  const client = new MqttClient(() => openStream(connect, spec.tap), options);
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

/** Opens sockets to one broker: TLS where the URL or a client certificate asks for it. */
function socketFactory(broker: BrokerConfig): () => Duplex {
  const url = new URL(broker.url);
  const host = url.hostname;
  const port = Number(url.port);
  if (url.protocol !== 'mqtts:' && !broker.tls) return () => net.connect({ host, port });
  // Read once, at start: a missing file is a configuration error, not a reconnect loop.
  const files = broker.tls && {
    ca: readFileSync(broker.tls.caFile),
    cert: readFileSync(broker.tls.certFile),
    key: readFileSync(broker.tls.keyFile),
  };
  // SNI carries names only; the certificate is checked against the address either way.
  const servername = net.isIP(host) ? undefined : host;
  return () => tls.connect({ host, port, servername, ...files, rejectUnauthorized: true });
}

/** A socket from `connect`, tapped if the spec asks for it. */
function openStream(connect: () => Duplex, tap: TapSpec | undefined): Duplex {
  const socket = connect();
  if (!tap) return socket;
  const tapped: FrameTap = new FrameTap(socket, tap.packetType, (header, body) =>
    tap.onFrame(tapped, header, body),
  );
  return tapped;
}

/** Closes a client, waiting at most `ms` for its DISCONNECT to go out. */
export async function closeConnection(client: MqttClient, ms = 2000): Promise<void> {
  await Promise.race([
    client.endAsync(false),
    new Promise<void>((resolve) => setTimeout(resolve, ms).unref()),
  ]);
  if (!client.disconnected) await client.endAsync(true);
}
