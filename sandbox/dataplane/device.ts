import mqtt, { type MqttClient } from 'mqtt';

import { type ResolveBroker, type ResolvedBroker } from './broker-resolver';
import { classifyConnectFailure, type FleetCounters } from './fleet-counters';
import { type LedgerWriter } from './ledger';
import { parseCommand, type Telemetry, TOPICS } from './messages';

/** Options of one simulated device. */
export interface DeviceOptions {
  id: string;
  protocolVersion: 4 | 5;
  resolveBroker: ResolveBroker;
  counters: FleetCounters;
  ledger?: LedgerWriter;
  /** Makes message ids unique across runs of the simulator. */
  runToken: string;
  telemetryIntervalMs: number;
  /** Mean time between voluntary reconnects, jittered ±50%; 0 never reconnects on purpose. */
  reconnectEveryMs: number;
}

interface Unacked {
  topic: string;
  payload: string;
}

/** Seconds a broker keeps a device's session (and queued commands) while it is away. */
const SESSION_EXPIRY_SECONDS = 3600;
const MAX_RETRY_DELAY_MS = 30_000;

/**
 * One simulated device. Each connect looks the broker name up again, so DNS weights take effect
 * as devices reconnect. Telemetry is QoS 1 and kept until the broker acknowledged it; whatever
 * is unacknowledged when a connection ends is sent again on the next one (at least once).
 */
export class SimulatedDevice {
  private client: MqttClient | undefined;
  private broker: ResolvedBroker | undefined;
  private readonly unacked = new Map<string, Unacked>();
  private seq = 0;
  private failures = 0;
  private stopped = false;
  private quiet = false;
  private telemetryTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: DeviceOptions) {}

  /** The broker the device is connected to now, if any. */
  get connectedTo(): ResolvedBroker['broker'] | undefined {
    return this.client?.connected ? this.broker?.broker : undefined;
  }

  /** Messages published but not yet acknowledged by a broker. */
  get unackedCount(): number {
    return this.unacked.size;
  }

  start(): void {
    if (this.quiet || this.stopped) return;
    // Devices do not all report in the same millisecond.
    const offset = Math.random() * this.options.telemetryIntervalMs;
    this.telemetryTimer = setTimeout(() => {
      this.publishTelemetry();
      this.telemetryTimer = setInterval(
        () => this.publishTelemetry(),
        this.options.telemetryIntervalMs,
      );
    }, offset);
    void this.connect();
  }

  /**
   * Stops periodic telemetry and voluntary reconnects; the device stays connected and still
   * acks commands, so backends can drain before the devices go.
   */
  quiesce(): void {
    this.quiet = true;
    clearTimeout(this.telemetryTimer);
    clearInterval(this.telemetryTimer);
    // A device between connections keeps its pending retry: left offline, it would never get
    // the commands still owed to it, and the ledger would count them lost.
    if (this.client?.connected) clearTimeout(this.reconnectTimer);
  }

  /** Waits up to `drainMs` for unacknowledged telemetry, then disconnects. */
  async stop(drainMs = 0): Promise<void> {
    this.stopped = true;
    clearTimeout(this.telemetryTimer);
    clearInterval(this.telemetryTimer);
    clearTimeout(this.reconnectTimer);
    const deadline = Date.now() + drainMs;
    while (this.unacked.size > 0 && this.client?.connected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true).catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let broker: ResolvedBroker;
    try {
      broker = await this.options.resolveBroker();
    } catch {
      this.options.counters.dnsFailures += 1;
      this.retryLater();
      return;
    }
    if (this.stopped) return;

    const { counters, id, protocolVersion } = this.options;
    const client = mqtt.connect(broker.url, {
      clientId: id,
      protocolVersion,
      clean: false,
      properties: protocolVersion === 5 ? { sessionExpiryInterval: SESSION_EXPIRY_SECONDS } : {},
      reconnectPeriod: 0, // we reconnect ourselves, through DNS
      connectTimeout: 10_000,
      keepalive: 60,
      resubscribe: false,
      secureContext: broker.secureContext,
      rejectUnauthorized: true,
    } as mqtt.IClientOptions);
    this.client = client;
    this.broker = broker;

    let connected = false;
    let failureCounted = false;
    client.on('connect', () => {
      connected = true;
      this.failures = 0;
      counters.connects[broker.broker].Success += 1;
      counters.connected[broker.broker] += 1;
      // Subscribed on every connect, even to a present session: a connection cut between the
      // CONNACK and the SUBSCRIBE leaves a session without the subscription, and commands then
      // never arrive. The same subscription again replaces itself; queued commands stay.
      client.subscribe(TOPICS.command(id), { qos: 1 }, () => undefined);
      for (const messageId of this.unacked.keys()) this.send(client, messageId);
      this.scheduleReconnect();
    });
    client.on('message', (_topic, payload) => this.onCommand(payload));
    client.on('error', (err) => {
      if (connected || failureCounted) return;
      failureCounted = true;
      counters.connects[broker.broker][classifyConnectFailure(err)] += 1;
    });
    client.once('close', () => {
      if (connected) counters.connected[broker.broker] -= 1;
      else if (!failureCounted) {
        failureCounted = true;
        counters.connects[broker.broker].ClientError += 1;
      }
      if (this.client !== client) return; // a planned reconnect already moved on
      this.client = undefined;
      client.end(true);
      this.retryLater();
    });
  }

  private scheduleReconnect(): void {
    const every = this.options.reconnectEveryMs;
    if (every <= 0 || this.quiet) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      const old = this.client;
      this.client = undefined;
      old?.end(true);
      void this.connect();
    }, jitter(every));
  }

  private retryLater(): void {
    if (this.stopped) return;
    this.failures += 1;
    const delay = Math.min(MAX_RETRY_DELAY_MS, 500 * 2 ** Math.min(this.failures, 10));
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => void this.connect(), jitter(delay));
  }

  private publishTelemetry(ackOf?: string, issuer?: string): void {
    const client = this.client;
    if (!client?.connected) return; // an offline device measures nothing worth numbering
    this.seq += 1;
    const { id, runToken } = this.options;
    const message: Telemetry = {
      id: `${id}.${runToken}.${this.seq}`,
      device: id,
      seq: this.seq,
      ackOf,
      sentAtMs: Date.now(),
    };
    const topic = ackOf && issuer ? TOPICS.ack(id, issuer) : TOPICS.telemetry(id);
    this.unacked.set(message.id, { topic, payload: JSON.stringify(message) });
    this.options.ledger?.record('sent', 'device-to-backend', message.id);
    this.options.counters.telemetrySent += 1;
    this.send(client, message.id);
  }

  private send(client: MqttClient, messageId: string): void {
    const message = this.unacked.get(messageId);
    if (!message) return;
    if (this.broker) this.options.counters.publishedTo[this.broker.broker] += 1;
    client.publish(message.topic, message.payload, { qos: 1 }, (err) => {
      if (!err && this.unacked.delete(messageId)) this.options.counters.telemetryAcked += 1;
    });
  }

  private onCommand(payload: Buffer): void {
    const command = parseCommand(payload);
    if (!command || command.device !== this.options.id) return;
    this.options.ledger?.record('received', 'backend-to-device', command.id);
    this.options.counters.commandsReceived += 1;
    this.publishTelemetry(command.id, command.issuer);
  }
}

/** A delay spread over ±50% of `ms`, so devices never move in lockstep. */
function jitter(ms: number): number {
  return ms * (0.5 + Math.random());
}
