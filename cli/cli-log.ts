import pino, { type Logger } from 'pino';

/**
 * The operator commands' structured log. It goes to stderr so that `status --json` and other
 * printed results stay clean on stdout; quiet unless FLEETSHIFT_LOG_LEVEL asks for more.
 */
export const cliLog: Logger = pino(
  { name: 'fleetshift-cli', level: process.env.FLEETSHIFT_LOG_LEVEL ?? 'warn' },
  pino.destination(2),
);
