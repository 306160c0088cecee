import pino, { type Logger } from 'pino';

/** The bridge's structured logger: JSON lines on stdout, payloads and secrets never logged. */
export function createBridgeLogger(level: string, bindings: Record<string, string>): Logger {
  return pino({ level, base: { component: 'bridge', ...bindings } });
}
