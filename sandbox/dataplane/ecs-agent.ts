import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  ListServicesCommand,
} from '@aws-sdk/client-ecs';

import { PROJECT_ROOT } from '../config';
import { type AwsTarget, ecsClient } from './aws-clients';
import { isAlive, type LocalTask, startLocalTask, stopLocalTask } from './local-task';
import { dataplaneLog } from './log';
import { openScaleEvents } from './scale-events';

/** Options of {@link startEcsAgent}. */
export interface EcsAgentOptions {
  aws: AwsTarget;
  cluster: string;
  /** The sandbox home: logs go to `<home>/ecs/<service>/`, the status to `<home>/ecs/status.json`. */
  home: string;
  /** How often moto is read, in milliseconds. @default 1000 */
  pollMs?: number;
  /**
   * Time between SIGTERM and SIGKILL on scale-down, in milliseconds. Longer than a sample
   * backend's default drain (10 s), so a drain that runs to its end still disconnects.
   * @default 15000
   */
  graceMs?: number;
  /** Where instances run. @default the project root */
  cwd?: string;
}

/** One service as the agent sees it. */
export interface ServiceState {
  desired: number;
  /** Local processes alive now (including ones being stopped). */
  running: number;
  /** Crashed instances that were started again. */
  restarts: number;
  taskDefinitionArn: string;
  instanceIds: string[];
  /** Process id per instance id, to inspect or (in tests) kill one. */
  pids: Record<string, number | undefined>;
}

/** A running agent. */
export interface EcsAgentHandle {
  services(): Record<string, ServiceState>;
  /** Runs one reconciliation pass now. */
  reconcile(): Promise<void>;
  /** Stops every instance (SIGTERM, then SIGKILL after the grace period) and the polling. */
  stop(): Promise<void>;
}

interface ServiceRuntime {
  desired: number;
  taskDefinitionArn: string;
  tasks: LocalTask[];
  restarts: number;
  pendingRestarts: number;
  /** Consecutive crashes, for the restart backoff. */
  crashes: number;
  notBefore: number;
}

interface ContainerLaunch {
  command: string[];
  environment: Record<string, string>;
}

const MAX_RESTART_DELAY_MS = 30_000;
/** An instance that ran this long is healthy again: the crash backoff starts over. */
const STABLE_MS = 10_000;

/**
 * Keeps as many local processes running for each ECS service in moto as its desired count says.
 * moto stores ECS calls but runs nothing; this agent is the sandbox's compute.
 * LIMITATION: moto reports runningCount equal to desiredCount as soon as UpdateService returns,
 * whatever runs locally; the real count is in `services()` and in `<home>/ecs/status.json`.
 * LIMITATION: instances run in their own process groups, so if the agent's process is killed
 * without `stop()`, its instances keep running until stopped by hand (pids: ecs/status.json).
 */
export async function startEcsAgent(options: EcsAgentOptions): Promise<EcsAgentHandle> {
  const ecs = ecsClient(options.aws);
  const graceMs = options.graceMs ?? 15_000;
  const scaleEvents = openScaleEvents(options.home);
  // Scale events go to the quiet stderr log and, always, to the events file.
  const record = (level: 'info' | 'warn', fields: object, message: string): void => {
    dataplaneLog[level](fields, message);
    scaleEvents[level](fields, message);
  };
  record('info', { cluster: options.cluster }, 'ecs agent started');
  const runtimes = new Map<string, ServiceRuntime>();
  const launches = new Map<string, ContainerLaunch>();
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  const logDirOf = (service: string): string => path.join(options.home, 'ecs', service);

  const launch = async (service: string, runtime: ServiceRuntime): Promise<void> => {
    const container = await launchOf(ecs, launches, runtime.taskDefinitionArn);
    const instanceId = freeInstanceId(service, runtime);
    const task = startLocalTask({
      instanceId,
      taskDefinitionArn: runtime.taskDefinitionArn,
      ...container,
      cwd: options.cwd ?? PROJECT_ROOT,
      logDir: logDirOf(service),
    });
    runtime.tasks.push(task);
    record('info', { service, instanceId, pid: task.child.pid }, 'ecs instance started');
    void task.exited.then((code) => {
      if (task.stopping) {
        const ranMs = Date.now() - task.startedAt;
        record('info', { service, instanceId, code, ranMs }, 'ecs instance stopped');
        return;
      }
      runtime.crashes += 1;
      const delayMs = Math.min(MAX_RESTART_DELAY_MS, 250 * 2 ** runtime.crashes);
      runtime.notBefore = Date.now() + delayMs;
      record('warn', { service, instanceId, code }, 'ecs instance exited; will restart');
    });
  };

  const reconcileOnce = async (): Promise<void> => {
    const desired = await readServices(ecs, options.cluster);
    for (const [service, want] of desired) {
      let runtime = runtimes.get(service);
      if (!runtime) {
        runtime = { ...want, tasks: [], restarts: 0, pendingRestarts: 0, crashes: 0, notBefore: 0 };
        runtimes.set(service, runtime);
        record('info', { service, desired: want.desired }, 'ecs service found');
      }
      if (runtime.desired !== want.desired) {
        record('info', { service, from: runtime.desired, to: want.desired }, 'ecs desired count');
      }
      runtime.desired = want.desired;
      runtime.taskDefinitionArn = want.taskDefinitionArn;
      await converge(service, runtime);
    }
    // A service deleted in moto has no instances left to keep.
    for (const [service, runtime] of runtimes) {
      if (!desired.has(service)) {
        runtime.desired = 0;
        await converge(service, runtime);
      }
    }
    writeStatus();
  };

  const converge = async (service: string, runtime: ServiceRuntime): Promise<void> => {
    runtime.pendingRestarts += runtime.tasks.filter((t) => !isAlive(t) && !t.stopping).length;
    runtime.tasks = runtime.tasks.filter((t) => isAlive(t));
    // Instances of an older task definition are replaced: new ones start, then the old go.
    const current = runtime.tasks.filter(
      (t) => t.taskDefinitionArn === runtime.taskDefinitionArn && !t.stopping,
    );
    const stale = runtime.tasks.filter(
      (t) => t.taskDefinitionArn !== runtime.taskDefinitionArn && !t.stopping,
    );
    if (current.length > 0 && current.every((t) => Date.now() - t.startedAt > STABLE_MS)) {
      runtime.crashes = 0;
    }

    const missing = runtime.desired - current.length;
    // After a crash the restart waits a growing while, so a crash loop does not spin.
    if (missing > 0 && Date.now() >= runtime.notBefore) {
      for (let i = 0; i < missing; i++) await launch(service, runtime);
      const restarted = Math.min(missing, runtime.pendingRestarts);
      runtime.restarts += restarted;
      runtime.pendingRestarts -= restarted;
    }
    if (missing <= 0) runtime.pendingRestarts = 0;

    // Scale-down stops the newest first, as ECS does not promise an order either way.
    const surplus = [...stale, ...current.slice(runtime.desired).reverse()];
    await Promise.all(
      surplus.map(async (task) => {
        const reason = stale.includes(task) ? 'replaced' : 'scale-down';
        record('info', { service, instanceId: task.instanceId, reason }, 'ecs instance stopping');
        await stopLocalTask(task, graceMs);
      }),
    );
    runtime.tasks = runtime.tasks.filter((t) => isAlive(t));
  };

  const writeStatus = (): void => {
    const file = path.join(options.home, 'ecs', 'status.json');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(
      file,
      `${JSON.stringify({ at: new Date().toISOString(), services: snapshot() })}\n`,
    );
  };

  const snapshot = (): Record<string, ServiceState> =>
    Object.fromEntries(
      [...runtimes].map(([service, r]) => {
        const alive = r.tasks.filter((t) => isAlive(t));
        const state: ServiceState = {
          desired: r.desired,
          running: alive.length,
          restarts: r.restarts,
          taskDefinitionArn: r.taskDefinitionArn,
          instanceIds: alive.map((t) => t.instanceId),
          pids: Object.fromEntries(alive.map((t) => [t.instanceId, t.child.pid])),
        };
        return [service, state];
      }),
    );

  // Passes never overlap: a slow scale-down must not race the next poll.
  const reconcile = (): Promise<void> => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        await reconcileOnce();
      } catch (err) {
        dataplaneLog.warn({ err, cluster: options.cluster }, 'ecs reconciliation failed');
      }
    });
    return running;
  };

  await reconcile();
  const timer = setInterval(() => void reconcile(), options.pollMs ?? 1000);

  return {
    services: snapshot,
    reconcile,
    stop: async () => {
      clearInterval(timer);
      await running;
      stopped = true;
      const all = [...runtimes.values()].flatMap((r) => r.tasks);
      record('info', { cluster: options.cluster, instances: all.length }, 'ecs agent stopping');
      await Promise.all(all.map((task) => stopLocalTask(task, graceMs)));
      ecs.destroy();
    },
  };
}

async function readServices(
  ecs: ECSClient,
  cluster: string,
): Promise<Map<string, { desired: number; taskDefinitionArn: string }>> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await ecs.send(new ListServicesCommand({ cluster, nextToken }));
    arns.push(...(page.serviceArns ?? []));
    nextToken = page.nextToken;
  } while (nextToken);

  const services = new Map<string, { desired: number; taskDefinitionArn: string }>();
  // DescribeServices takes at most 10 services per call.
  for (let i = 0; i < arns.length; i += 10) {
    const out = await ecs.send(
      new DescribeServicesCommand({ cluster, services: arns.slice(i, i + 10) }),
    );
    for (const s of out.services ?? []) {
      if (!s.serviceName || !s.taskDefinition || s.status === 'INACTIVE') continue;
      services.set(s.serviceName, {
        desired: s.desiredCount ?? 0,
        taskDefinitionArn: s.taskDefinition,
      });
    }
  }
  return services;
}

async function launchOf(
  ecs: ECSClient,
  cache: Map<string, ContainerLaunch>,
  taskDefinitionArn: string,
): Promise<ContainerLaunch> {
  const known = cache.get(taskDefinitionArn);
  if (known) return known;
  const out = await ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }),
  );
  const container = out.taskDefinition?.containerDefinitions?.[0];
  if (!container?.command?.length) {
    throw new Error(`task definition ${taskDefinitionArn} has no command in its first container`);
  }
  const environment: Record<string, string> = {};
  for (const pair of container.environment ?? []) {
    if (pair.name) environment[pair.name] = pair.value ?? '';
  }
  const launch = { command: container.command, environment };
  cache.set(taskDefinitionArn, launch);
  return launch;
}

/**
 * The id of the lowest slot no live instance of the service holds. Instance ids are
 * `<service>-<slot>`, stable across restarts and reused after a scale-down, because a broker
 * keeps a persistent session per client id: a replacement with the same id resumes the session
 * and receives what the broker queued for it (a shared subscription keeps assigning messages to
 * an offline member), where a fresh id would strand them until the session expires.
 */
function freeInstanceId(service: string, runtime: ServiceRuntime): string {
  const taken = new Set(runtime.tasks.filter((t) => isAlive(t)).map((t) => t.instanceId));
  for (let slot = 1; ; slot += 1) {
    const id = `${service}-${slot}`;
    if (!taken.has(id)) return id;
  }
}
