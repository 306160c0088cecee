import { mkdirSync } from 'node:fs';
import path from 'node:path';

import pino, { type Logger } from 'pino';

/** Where the ECS agent of a sandbox home records its scale events. */
export function scaleEventsFile(home: string): string {
  return path.join(home, 'ecs', 'events.log');
}

/**
 * The data plane log's record of scale events (desired counts, instances started, stopping,
 * stopped, crashed), appended to `<home>/ecs/events.log` at info whatever FLEETSHIFT_LOG_LEVEL
 * says: the stderr log is quiet by default, and a message lost in a run must be placeable
 * against these afterwards. `time` is epoch milliseconds, as in the ledger's lines.
 */
export function openScaleEvents(home: string): Logger {
  const file = scaleEventsFile(home);
  mkdirSync(path.dirname(file), { recursive: true });
  return pino(
    { name: 'fleetshift-dataplane', level: 'info' },
    pino.destination({ dest: file, append: true, sync: true }),
  );
}
