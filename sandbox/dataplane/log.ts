import pino, { type Logger } from 'pino';

/**
 * The data plane's structured log, on stderr. Quiet by default (warn) because the fleet and the
 * backends run beside the demo's own output; FLEETSHIFT_LOG_LEVEL asks for more.
 */
export const dataplaneLog: Logger = pino(
  { name: 'fleetshift-dataplane', level: process.env.FLEETSHIFT_LOG_LEVEL ?? 'warn' },
  pino.destination(2),
);
