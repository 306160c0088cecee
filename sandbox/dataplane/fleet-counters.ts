/** The two brokers a device can be on during the migration. */
export type BrokerName = 'legacy' | 'iot-core';

/** How a connect attempt ended, in the words of the AWS/IoT metric names. */
export type ConnectOutcome = 'Success' | 'ClientError' | 'AuthError';

/** Everything the fleet simulator counts since it started. */
export interface FleetCounters {
  devices: number;
  /** Devices speaking MQTT 5; the others speak MQTT 3.1.1. */
  mqtt5Devices: number;
  /** Devices connected now, per broker. */
  connected: Record<BrokerName, number>;
  /** Connect attempts per broker and outcome. */
  connects: Record<BrokerName, Record<ConnectOutcome, number>>;
  telemetrySent: number;
  /** Telemetry (and acks) handed to each broker, counting resends after a reconnect. */
  publishedTo: Record<BrokerName, number>;
  /** Telemetry messages the broker acknowledged (PUBACK). */
  telemetryAcked: number;
  commandsReceived: number;
  /** Name lookups that failed (the device retried later). */
  dnsFailures: number;
}

/** All zeros. */
export function emptyFleetCounters(devices = 0): FleetCounters {
  const outcomes = (): Record<ConnectOutcome, number> => ({
    Success: 0,
    ClientError: 0,
    AuthError: 0,
  });
  return {
    devices,
    mqtt5Devices: 0,
    connected: { legacy: 0, 'iot-core': 0 },
    connects: { legacy: outcomes(), 'iot-core': outcomes() },
    telemetrySent: 0,
    publishedTo: { legacy: 0, 'iot-core': 0 },
    telemetryAcked: 0,
    commandsReceived: 0,
    dnsFailures: 0,
  };
}

/** A deep copy, so a reader never sees counters move under it. */
export function copyFleetCounters(counters: FleetCounters): FleetCounters {
  return structuredClone(counters);
}

// MQTT 3.1.1 CONNACK return codes 4 and 5, MQTT 5 reason codes 0x86 and 0x87.
const AUTH_REASON_CODES = new Set([4, 5, 0x86, 0x87]);

/**
 * Sorts a failed connect the way AWS IoT's metrics do: refused credentials or certificates are
 * AuthError, everything else (refused socket, timeout, broker gone) is ClientError.
 */
export function classifyConnectFailure(err: unknown): Exclude<ConnectOutcome, 'Success'> {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  if (typeof e?.code === 'number' && AUTH_REASON_CODES.has(e.code)) return 'AuthError';
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message.toLowerCase() : '';
  if (code.startsWith('ERR_SSL') || code.includes('CERT') || message.includes('certificate')) {
    return 'AuthError';
  }
  if (message.includes('not authorized') || message.includes('bad username')) return 'AuthError';
  return 'ClientError';
}
