import { type SandboxConfig } from '../config';
import { waitUntil } from '../health';
import { runningProcess, startDetached, stopProcess } from '../processes';
import { sandboxServices } from '../services';
import { dataplaneLog } from './log';

/** An IoT Core stand-in that refuses connections until restored. */
export interface IotCoreOutageHandle {
  /** Starts the stand-in again and waits until it accepts clients. */
  stop(): Promise<void>;
}

const RESTART_TIMEOUT_MS = 30_000;

/**
 * Makes the IoT Core stand-in refuse connections (for the demo's --chaos): it is stopped, so
 * devices that resolve to it get refused sockets, which they count as Connect.ClientError, and
 * the workflow's analysis sees the failure rate rise. `stop()` ends the outage. Sessions and
 * queued messages survive, because the broker persists them to disk on shutdown.
 * LIMITATION: only refused sockets are simulated; certificate refusals (Connect.AuthError) are
 * not, although devices and the exporter already count them.
 */
export async function startIotCoreOutage(config: SandboxConfig): Promise<IotCoreOutageHandle> {
  const service = sandboxServices(config).find((s) => s.name === 'iot-core');
  if (!service) throw new Error('the sandbox has no iot-core service');
  const record = runningProcess(config.home, service.name);
  if (record) await stopProcess(config.home, record);
  dataplaneLog.warn({ service: service.name }, 'iot core stand-in stopped for chaos');

  return {
    stop: async () => {
      if (!runningProcess(config.home, service.name)) {
        startDetached(config.home, service.prepare());
      }
      const healthy = await waitUntil(() => service.healthy(), RESTART_TIMEOUT_MS);
      if (!healthy) throw new Error('the IoT Core stand-in did not come back after the outage');
      dataplaneLog.warn({ service: service.name }, 'iot core stand-in restored');
    },
  };
}
