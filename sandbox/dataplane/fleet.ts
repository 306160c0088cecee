import { randomBytes } from 'node:crypto';

import { brokerResolver, type BrokerTarget } from './broker-resolver';
import { SimulatedDevice } from './device';
import {
  type BrokerName,
  copyFleetCounters,
  emptyFleetCounters,
  type FleetCounters,
} from './fleet-counters';
import { type LedgerWriter, openLedger } from './ledger';
import { dataplaneLog } from './log';

/** Options of {@link startFleet}. */
export interface FleetOptions {
  devices: number;
  /** Share of devices speaking MQTT 5; the rest speak 3.1.1. @default 0.3 */
  mqtt5Share?: number;
  /** The sandbox DNS server (`127.0.0.1:PORT`) and the migration's record name. */
  dns: { server: string; recordName: string };
  brokers: Record<BrokerName, BrokerTarget>;
  /** Client ids are `<idPrefix>-<n>`. @default 'device' */
  idPrefix?: string;
  /** @default 10000 */
  telemetryIntervalMs?: number;
  /** Mean time between a device's voluntary reconnects; 0 disables them. @default 120000 */
  reconnectEveryMs?: number;
  /** New devices brought online per second at start, so the brokers see a ramp. @default 500 */
  connectRatePerSecond?: number;
  /** Record every message in a ledger file in this folder. */
  ledgerDir?: string;
}

/** Live figures of a running fleet. */
export interface FleetSnapshot extends FleetCounters {
  /** Telemetry messages published per second, over the last second. */
  sentPerSecond: number;
  /** Commands received per second, over the last second. */
  receivedPerSecond: number;
  /** Telemetry published but not yet acknowledged by a broker. */
  unacked: number;
}

/** A running fleet. */
export interface FleetHandle {
  snapshot(): FleetSnapshot;
  /** The live counters (the metrics exporter reads these). */
  counters(): FleetCounters;
  /**
   * Ends telemetry and voluntary reconnects but keeps devices connected to ack commands: the
   * first step of a clean end, before backends stop (they wait for acks) and then the fleet.
   */
  quiesce(): void;
  /** Waits up to `drainMs` for unacknowledged telemetry, then disconnects every device. */
  stop(drainMs?: number): Promise<void>;
}

/**
 * Starts N simulated devices, a mix of MQTT 3.1.1 and 5, each with its own client id, that find
 * their broker through the sandbox DNS server on every (re)connect.
 */
export function startFleet(options: FleetOptions): FleetHandle {
  const counters = emptyFleetCounters(options.devices);
  const resolveBroker = brokerResolver(options.dns.server, options.dns.recordName, options.brokers);
  const runToken = randomBytes(3).toString('hex');
  const prefix = options.idPrefix ?? 'device';
  const ledger: LedgerWriter | undefined = options.ledgerDir
    ? openLedger(options.ledgerDir, `fleet-${prefix}-${runToken}`)
    : undefined;
  const mqtt5Share = options.mqtt5Share ?? 0.3;

  const devices: SimulatedDevice[] = [];
  for (let n = 0; n < options.devices; n++) {
    // Spread evenly rather than at random, so small fleets get the asked-for mix too.
    const protocolVersion = Math.floor((n + 1) * mqtt5Share) > Math.floor(n * mqtt5Share) ? 5 : 4;
    if (protocolVersion === 5) counters.mqtt5Devices += 1;
    devices.push(
      new SimulatedDevice({
        id: `${prefix}-${n}`,
        protocolVersion,
        resolveBroker,
        counters,
        ledger,
        runToken,
        telemetryIntervalMs: options.telemetryIntervalMs ?? 10_000,
        reconnectEveryMs: options.reconnectEveryMs ?? 120_000,
      }),
    );
  }

  let started = 0;
  const perTick = Math.max(1, Math.round((options.connectRatePerSecond ?? 500) / 10));
  const ramp = setInterval(() => {
    for (const device of devices.slice(started, started + perTick)) device.start();
    started = Math.min(devices.length, started + perTick);
    if (started >= devices.length) clearInterval(ramp);
  }, 100);

  let last = { sent: 0, received: 0 };
  let rates = { sentPerSecond: 0, receivedPerSecond: 0 };
  const meter = setInterval(() => {
    rates = {
      sentPerSecond: counters.telemetrySent - last.sent,
      receivedPerSecond: counters.commandsReceived - last.received,
    };
    last = { sent: counters.telemetrySent, received: counters.commandsReceived };
  }, 1000);
  dataplaneLog.info({ devices: options.devices, prefix, runToken }, 'fleet started');

  return {
    counters: () => counters,
    snapshot: () => ({
      ...copyFleetCounters(counters),
      ...rates,
      unacked: devices.reduce((sum, d) => sum + d.unackedCount, 0),
    }),
    quiesce: () => {
      clearInterval(ramp);
      for (const device of devices) device.quiesce();
    },
    stop: async (drainMs = 5000) => {
      clearInterval(ramp);
      clearInterval(meter);
      await Promise.all(devices.map((d) => d.stop(drainMs)));
      ledger?.close();
      dataplaneLog.info({ prefix, runToken }, 'fleet stopped');
    },
  };
}
