import { randomBytes } from 'node:crypto';

import mqtt, { type IClientOptions } from 'mqtt';

import { CommandTracker, type PendingCommand } from './command-tracker';
import { type LedgerWriter, openLedger } from './ledger';
import { dataplaneLog } from './log';
import { type DeviceCommand, parseTelemetry, TOPICS } from './messages';

const SESSION_EXPIRY_SECONDS = 60;

/** Options of the sample backend service. */
export interface BackendOptions {
  /** Unique per instance (the ECS agent sets FLEETSHIFT_INSTANCE_ID). */
  instanceId: string;
  /** The broker this instance uses: the legacy one, or the IoT Core stand-in once migrated. */
  brokerUrl: string;
  tls?: { ca: Buffer; cert: Buffer; key: Buffer };
  /** The shared subscription group that balances telemetry. @default 'backend' */
  group?: string;
  /** Answer every Nth telemetry message of a device with a command; 0 never. @default 5 */
  commandEvery?: number;
  /** @default 3000 */
  resendAfterMs?: number;
  /** On stop, how long to wait for outstanding acks, in milliseconds. @default 10000 */
  drainMs?: number;
  ledgerDir?: string;
}

/** Counters of one backend instance. */
export interface BackendCounters {
  telemetryReceived: number;
  commandsIssued: number;
  commandResends: number;
  acksReceived: number;
  outstanding: number;
}

/** A running backend instance. */
export interface BackendHandle {
  counters(): BackendCounters;
  /** Stops issuing commands, waits (bounded) for outstanding acks, then disconnects. */
  stop(): Promise<void>;
}

/**
 * Starts a sample backend service: it consumes telemetry through a shared subscription and
 * answers some messages with a command, resent until the device acks it.
 */
export async function startBackend(options: BackendOptions): Promise<BackendHandle> {
  const { instanceId } = options;
  const ledger: LedgerWriter | undefined = options.ledgerDir
    ? openLedger(options.ledgerDir, `backend-${instanceId}`)
    : undefined;
  const client = await mqtt.connectAsync(options.brokerUrl, {
    clientId: `backend-${instanceId}`,
    protocolVersion: 5,
    clean: false,
    // The ECS agent reuses instance ids (slots), so a replacement resumes this session and
    // gets what the broker queued for a crashed instance.
    // LIMITATION: telemetry queued for a crashed instance whose slot is not refilled within the
    // session expiry (the service was scaled down meanwhile) is lost.
    properties: { sessionExpiryInterval: SESSION_EXPIRY_SECONDS },
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    ...(options.tls ?? {}),
  } as IClientOptions);

  const tracker = new CommandTracker({
    resendAfterMs: options.resendAfterMs ?? 3000,
    send: (pending) => publishCommand(pending),
  });
  const publishCommand = (pending: PendingCommand): void => {
    const command: DeviceCommand = {
      id: pending.id,
      device: pending.device,
      issuer: instanceId,
      attempt: pending.attempts,
    };
    client.publish(TOPICS.command(pending.device), JSON.stringify(command), { qos: 1 }, (err) => {
      if (err) dataplaneLog.debug({ err, command: pending.id }, 'command publish failed');
    });
  };

  let draining = false;
  let telemetryReceived = 0;
  let commandSeq = 0;
  // Instance ids are reused by replacements: the run token keeps command ids unique.
  const runToken = randomBytes(3).toString('hex');
  const commandEvery = options.commandEvery ?? 5;
  client.on('message', (_topic, payload) => {
    const telemetry = parseTelemetry(payload);
    if (!telemetry) return;
    telemetryReceived += 1;
    ledger?.record('received', 'device-to-backend', telemetry.id);
    if (telemetry.ackOf) {
      tracker.ack(telemetry.ackOf);
      return;
    }
    if (draining || commandEvery <= 0 || telemetry.seq % commandEvery !== 0) return;
    commandSeq += 1;
    const id = `${instanceId}.${runToken}.c${commandSeq}`;
    ledger?.record('sent', 'backend-to-device', id);
    tracker.issue(id, telemetry.device);
  });
  const sharedTelemetry = TOPICS.sharedTelemetry(options.group ?? 'backend');
  const topics = [sharedTelemetry, TOPICS.acksFor(instanceId)];
  await client.subscribeAsync(topics, { qos: 1 });
  // Mosquitto 2.0 restores a persistent session after a restart (the demo's chaos restarts the
  // IoT Core stand-in) without its shared subscriptions, and a repeated SUBSCRIBE does not
  // revive them; unsubscribing first does.
  // LIMITATION: telemetry published between that UNSUBSCRIBE and SUBSCRIBE, while no other
  // member is in the group, matches no subscription and is dropped by the broker.
  client.on('connect', (connack) => {
    if (draining || !connack.sessionPresent) return;
    client.unsubscribe(sharedTelemetry, () =>
      client.subscribe(topics, { qos: 1 }, () => undefined),
    );
  });
  const resendTimer = setInterval(() => tracker.resendOverdue(), 500);
  dataplaneLog.info({ instanceId, broker: options.brokerUrl }, 'backend started');

  return {
    counters: () => ({
      telemetryReceived,
      commandsIssued: commandSeq,
      commandResends: tracker.resends,
      acksReceived: tracker.acked,
      outstanding: tracker.outstanding,
    }),
    stop: async () => {
      draining = true;
      // Leave the shared group first, so the broker hands new telemetry to the other members
      // instead of queueing it for a session nobody will resume; acks keep arriving.
      await client.unsubscribeAsync(sharedTelemetry).catch(() => undefined);
      const deadline = Date.now() + (options.drainMs ?? 10_000);
      while (tracker.outstanding > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      if (tracker.outstanding > 0) {
        dataplaneLog.warn({ instanceId, outstanding: tracker.outstanding }, 'acks still missing');
      }
      clearInterval(resendTimer);
      await client.endAsync();
      ledger?.close();
      dataplaneLog.info({ instanceId }, 'backend stopped');
    },
  };
}
