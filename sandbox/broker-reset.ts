import { rmSync } from 'node:fs';
import path from 'node:path';

import { type SandboxConfig } from './config';
import { SandboxError } from './errors';
import { waitUntil } from './health';
import { runningProcess, startDetached, stopProcess } from './processes';
import { sandboxServices, type ServiceName } from './services';

const BROKERS: ServiceName[] = ['legacy-broker', 'iot-core'];

/**
 * Restarts both brokers with empty persistence, so a rehearsal starts from no sessions at all.
 * A previous run leaves persistent sessions behind, and a broker keeps assigning messages of a
 * shared subscription to an offline member's session: those messages would wait there, unseen
 * by this run, and the ledger would count them lost.
 */
export async function resetBrokers(config: SandboxConfig): Promise<void> {
  for (const service of sandboxServices(config).filter((s) => BROKERS.includes(s.name))) {
    const record = runningProcess(config.home, service.name);
    if (record) await stopProcess(config.home, record);
    rmSync(path.join(config.home, service.name, 'mosquitto.db'), { force: true });

    const started = startDetached(config.home, service.prepare());
    if (!(await waitUntil(() => service.healthy(), 30_000))) {
      throw new SandboxError(
        'StartFailed',
        `${service.name} did not restart; see ${started.logFile}`,
      );
    }
  }
}
