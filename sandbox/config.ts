import path from 'node:path';
import { z } from 'zod';

import { plainError } from '../plan/plain-errors';
import { SandboxError } from './errors';

/** The one address everything in the sandbox listens on. */
export const LOOPBACK = '127.0.0.1';

/** The project root: the folder that holds package.json. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** Default ports of the sandbox's services, before any offset. */
export const DEFAULT_PORTS = {
  temporal: 7233,
  temporalUi: 8233,
  temporalHttp: 7243,
  temporalMetrics: 7244,
  moto: 5100,
  legacyMqtt: 1883,
  iotCoreMqtts: 8883,
} as const;

export type PortName = keyof typeof DEFAULT_PORTS;

/** The largest offset that keeps every default port below the kernel's ephemeral range. */
export const MAX_PORT_OFFSET = 32767 - Math.max(...Object.values(DEFAULT_PORTS));
export type SandboxPorts = Record<PortName, number>;

/** Where the sandbox keeps its state, logs and certificates, and which ports it uses. */
export interface SandboxConfig {
  /** State folder: pid files, logs, the Temporal database, the customer CA. */
  home: string;
  host: typeof LOOPBACK;
  ports: SandboxPorts;
}

const port = z.coerce.number().int().min(1).max(65535);

const envSchema = z.object({
  FLEETSHIFT_HOME: z.string().min(1).optional(),
  // Ports stay below 32768, where Linux starts picking the source ports of outgoing connections:
  // a sandbox port in that range can be taken at random by any client on the machine.
  FLEETSHIFT_PORT_OFFSET: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_PORT_OFFSET, `at most ${MAX_PORT_OFFSET}, so every port stays below 32768`)
    .default(0),
  ...Object.fromEntries(
    Object.keys(DEFAULT_PORTS).map((name) => [envNameOf(name as PortName), port.optional()]),
  ),
});

function envNameOf(name: PortName): string {
  return `FLEETSHIFT_PORT_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/**
 * Reads the sandbox configuration from the environment. Defaults serve a developer's machine;
 * `FLEETSHIFT_PORT_OFFSET` shifts every port (the test suite uses it to run beside a live
 * sandbox) and `FLEETSHIFT_PORT_<NAME>` pins one port, for example `FLEETSHIFT_PORT_MOTO`.
 */
export function loadSandboxConfig(env: NodeJS.ProcessEnv = process.env): SandboxConfig {
  const parsed = envSchema.safeParse(env, { error: plainError });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new SandboxError('BadConfig', `sandbox environment: ${problems.join('; ')}`);
  }

  const values = parsed.data as Record<string, number | string | undefined>;
  const offset = parsed.data.FLEETSHIFT_PORT_OFFSET;
  const ports = {} as SandboxPorts;
  for (const name of Object.keys(DEFAULT_PORTS) as PortName[]) {
    const pinned = values[envNameOf(name)] as number | undefined;
    ports[name] = pinned ?? DEFAULT_PORTS[name] + offset;
  }

  const home = path.resolve(PROJECT_ROOT, parsed.data.FLEETSHIFT_HOME ?? '.fleetshift/sandbox');
  return { home, host: LOOPBACK, ports };
}

/** Addresses that clients of the sandbox use, derived from its ports. */
export function sandboxEndpoints(config: SandboxConfig): {
  temporalAddress: string;
  temporalUiUrl: string;
  awsEndpoint: string;
  legacyBrokerUrl: string;
  iotCoreBrokerUrl: string;
} {
  const { host, ports } = config;
  return {
    temporalAddress: `${host}:${ports.temporal}`,
    temporalUiUrl: `http://${host}:${ports.temporalUi}`,
    awsEndpoint: `http://${host}:${ports.moto}`,
    legacyBrokerUrl: `mqtt://${host}:${ports.legacyMqtt}`,
    iotCoreBrokerUrl: `mqtts://${host}:${ports.iotCoreMqtts}`,
  };
}
