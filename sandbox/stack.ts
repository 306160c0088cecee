import { type SandboxConfig } from './config';
import { SandboxError } from './errors';
import { isPortFree, waitUntil } from './health';
import { type ProcessRecord, runningProcess, startDetached, stopProcess } from './processes';
import { type SandboxService, type ServiceName, sandboxServices } from './services';
import { requireTool, type ToolName } from './tools';

/** How long a service may take from start to healthy. */
const START_TIMEOUT_MS = 60_000;

/** One service's line in `sandbox status`. */
export interface ServiceStatus {
  name: ServiceName;
  address: string;
  state: 'healthy' | 'unhealthy' | 'down';
  pid?: number;
  logFile?: string;
}

/** What `up` did. */
export interface UpResult {
  alreadyUp: boolean;
  started: ServiceName[];
  seconds: number;
  services: ServiceStatus[];
}

const REQUIRED_TOOLS: ToolName[] = ['temporal', 'moto', 'mosquitto', 'openssl'];

/**
 * Starts every service that is not already running, after checking that all tools are installed
 * and all ports are free, so a refusal leaves nothing half started. If a service fails to become
 * healthy, what this call started is stopped again.
 */
export async function sandboxUp(config: SandboxConfig): Promise<UpResult> {
  const startedAt = Date.now();
  REQUIRED_TOOLS.forEach(requireTool);

  const services = sandboxServices(config);
  const missing = services.filter((s) => !runningProcess(config.home, s.name));
  if (missing.length === 0) {
    return { alreadyUp: true, started: [], seconds: 0, services: await sandboxStatus(config) };
  }
  await assertPortsFree(config, missing);

  const started: ProcessRecord[] = [];
  try {
    for (const service of missing) started.push(startDetached(config.home, service.prepare()));
    await Promise.all(missing.map((service, i) => awaitHealthy(service, started[i])));
  } catch (err) {
    await Promise.all(started.map((record) => stopProcess(config.home, record)));
    throw err;
  }

  return {
    alreadyUp: false,
    started: missing.map((s) => s.name),
    seconds: (Date.now() - startedAt) / 1000,
    services: await sandboxStatus(config),
  };
}

/** Stops the processes the sandbox started (by recorded pid), newest first. */
export async function sandboxDown(config: SandboxConfig): Promise<ServiceName[]> {
  const stopped: ServiceName[] = [];
  for (const service of sandboxServices(config).reverse()) {
    const record = runningProcess(config.home, service.name);
    if (!record) continue;
    await stopProcess(config.home, record);
    stopped.push(service.name);
  }
  return stopped;
}

/** Each service with its address, pid and health. */
export async function sandboxStatus(config: SandboxConfig): Promise<ServiceStatus[]> {
  return Promise.all(
    sandboxServices(config).map(async (service): Promise<ServiceStatus> => {
      const record = runningProcess(config.home, service.name);
      const base = { name: service.name, address: service.address };
      if (!record) return { ...base, state: 'down' };

      const state = (await service.healthy()) ? 'healthy' : 'unhealthy';
      return { ...base, state, pid: record.pid, logFile: record.logFile };
    }),
  );
}

async function assertPortsFree(config: SandboxConfig, services: SandboxService[]): Promise<void> {
  for (const service of services) {
    for (const portName of service.ports) {
      const port = config.ports[portName];
      if (!(await isPortFree(config.host, port))) {
        throw new SandboxError(
          'PortBusy',
          `port ${port} for ${service.name} is busy on ${config.host} ` +
            `(free it, or set FLEETSHIFT_PORT_OFFSET to move the sandbox's ports)`,
        );
      }
    }
  }
}

async function awaitHealthy(service: SandboxService, record: ProcessRecord): Promise<void> {
  const healthy = await waitUntil(() => service.healthy(), START_TIMEOUT_MS);
  if (!healthy) {
    throw new SandboxError(
      'StartFailed',
      `${service.name} did not become healthy within ${START_TIMEOUT_MS / 1000}s; ` +
        `see ${record.logFile}`,
    );
  }
}
