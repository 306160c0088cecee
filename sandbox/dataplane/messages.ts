/**
 * Topics and payloads of the sandbox's sample application. The bridge's plan forwards
 * `fleet/#`; backends share `fleet/+/telemetry` with the device-to-backend bridge instances.
 *
 * - `fleet/<device>/telemetry`: numbered telemetry, consumed through a shared subscription.
 * - `fleet/<device>/command`: a command for one device.
 * - `fleet/<device>/ack/<backend instance>`: the telemetry message that acknowledges a command,
 *   addressed to the instance that issues and resends it (a shared group would hand the ack to
 *   any instance, and the issuer would resend forever).
 * - `fleetshift-sandbox/drain/<backend instance>`: a marker a leaving instance sends itself, to
 *   know it received everything its session held (outside `fleet/`, so no bridge forwards it).
 */
export const TOPICS = {
  telemetry: (device: string): string => `fleet/${device}/telemetry`,
  command: (device: string): string => `fleet/${device}/command`,
  ack: (device: string, issuer: string): string => `fleet/${device}/ack/${issuer}`,
  /** What a backend instance subscribes to, with the shared group's name. */
  sharedTelemetry: (group: string): string => `$share/${group}/fleet/+/telemetry`,
  acksFor: (issuer: string): string => `fleet/+/ack/${issuer}`,
  drainMarker: (issuer: string): string => `fleetshift-sandbox/drain/${issuer}`,
} as const;

/** A telemetry message; acks of commands carry `ackOf`. */
export interface Telemetry {
  id: string;
  device: string;
  seq: number;
  /** The command this message acknowledges. */
  ackOf?: string;
  sentAtMs: number;
}

/** A command from a backend instance to a device. */
export interface DeviceCommand {
  id: string;
  device: string;
  /** The backend instance that waits for the ack. */
  issuer: string;
  attempt: number;
}

/** Parses a telemetry payload, or undefined when it is not one of ours. */
export function parseTelemetry(payload: Buffer): Telemetry | undefined {
  const value = parseJson(payload) as Partial<Telemetry> | undefined;
  if (typeof value?.id !== 'string' || typeof value.device !== 'string') return undefined;
  if (typeof value.seq !== 'number') return undefined;
  return value as Telemetry;
}

/** Parses a command payload, or undefined when it is not one of ours. */
export function parseCommand(payload: Buffer): DeviceCommand | undefined {
  const value = parseJson(payload) as Partial<DeviceCommand> | undefined;
  if (typeof value?.id !== 'string' || typeof value.device !== 'string') return undefined;
  if (typeof value.issuer !== 'string') return undefined;
  return value as DeviceCommand;
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}
