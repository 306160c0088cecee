import { randomBytes } from 'node:crypto';

import mqtt, { type IClientOptions } from 'mqtt';

import { CommandTracker, type PendingCommand } from './command-tracker';
import { type LedgerWriter, openLedger } from './ledger';
import { dataplaneLog } from './log';
import { type DeviceCommand, parseTelemetry, TOPICS } from './messages';
import { leaveSharedGroup, resubscribeShared } from './shared-subscription';

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
  /** On stop, how long to drain the session and wait for acks, in milliseconds. @default 10000 */
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
  /**
   * Stops issuing commands, leaves the shared group taking everything the broker assigned it,
   * waits for outstanding acks, then disconnects; all bounded by `drainMs` together.
   */
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
  const client = mqtt.connect(options.brokerUrl, {
    clientId: `backend-${instanceId}`,
    protocolVersion: 5,
    clean: false,
    // The ECS agent reuses instance ids (slots), so a replacement resumes this session and
    // gets what the broker queued for a crashed instance.
    // LIMITATION: telemetry the broker assigned to a crashed instance is lost if its slot is
    // not refilled within the session expiry (the service was scaled down meanwhile):
    // Mosquitto 2.0 gives an ended session's share to no other member of the group.
    properties: { sessionExpiryInterval: SESSION_EXPIRY_SECONDS },
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    // The connect handler below subscribes, knowing whether the session was resumed.
    resubscribe: false,
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
  // Listening before the first CONNACK: a resumed session's queued messages follow it at once,
  // and MQTT.js acks a message that no listener saw.
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
  const acks = TOPICS.acksFor(instanceId);
  // The subscription in progress, so that leaving the group waits for it to finish.
  let joining: Promise<void> = Promise.resolve();
  const subscribed = new Promise<void>((resolve, reject) => {
    // A resumed session is subscribed again with a stand-in (see resubscribeShared): after a
    // broker restart it no longer holds its shared subscription.
    client.on('connect', (connack) => {
      if (draining) return;
      const resumed = connack.sessionPresent;
      joining = resumed
        ? resubscribeShared(client, sharedTelemetry, [acks])
        : client.subscribeAsync([sharedTelemetry, acks], { qos: 1 }).then(() => undefined);
      // A failure fails the start; once started, an instance logs it and keeps running.
      joining.then(resolve, (err: unknown) => {
        dataplaneLog.warn({ instanceId, resumed, err }, 'backend subscribe failed');
        reject(err);
      });
    });
    // Only the first connect's failure fails the start; later ones are retried.
    client.once('error', reject);
  });
  try {
    await subscribed;
  } catch (err) {
    client.end(true);
    ledger?.close();
    throw err;
  }
  // Without a listener a refused reconnect would throw and end the process; MQTT.js retries.
  client.on('error', (err) => dataplaneLog.warn({ instanceId, err }, 'backend connection error'));
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
      const startedAt = Date.now();
      const deadline = startedAt + (options.drainMs ?? 10_000);
      const before = telemetryReceived;
      dataplaneLog.info({ instanceId }, 'backend leaving its shared group');
      await joining.catch(() => undefined);
      const marker = TOPICS.drainMarker(instanceId);
      const emptied = await leaveSharedGroup(
        client,
        sharedTelemetry,
        marker,
        deadline - Date.now(),
      );
      const taken = telemetryReceived - before;
      if (!emptied) dataplaneLog.warn({ instanceId, taken }, 'session not seen empty in time');
      // Acks keep arriving on the instance's own topic while it waits for them.
      // LIMITATION: an ack that comes after the instance left (a device that was offline past
      // the drain, or that acks a resent command twice) reaches no one: only this instance
      // subscribes to its ack topic, and the ledger counts that ack lost.
      // The session keeps its expiry rather than ending now: Mosquitto would drop what it
      // holds either way, and a replacement in the same slot may still collect it.
      while (tracker.outstanding > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      if (tracker.outstanding > 0) {
        dataplaneLog.warn({ instanceId, outstanding: tracker.outstanding }, 'acks still missing');
      }
      clearInterval(resendTimer);
      await client.endAsync();
      ledger?.close();
      const drainedMs = Date.now() - startedAt;
      dataplaneLog.info({ instanceId, emptied, taken, drainedMs }, 'backend stopped');
    },
  };
}
