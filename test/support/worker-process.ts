// Starts fleetshift workers as separate OS processes (test/support/worker-main.ts) and kills
// them with SIGKILL; every process started here is killed by killWorkerProcesses().
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

import type { FleetActivities } from '../../activities';
import { PROJECT_ROOT } from '../../sandbox';

/** The environment variables worker-main.ts reads. */
export const WORKER_ENV = {
  address: 'FLEETSHIFT_TEST_TEMPORAL_ADDRESS',
  taskQueue: 'FLEETSHIFT_TEST_TASK_QUEUE',
  /** An activity name: the process SIGKILLs itself right after that activity's first run. */
  dieAfter: 'FLEETSHIFT_TEST_DIE_AFTER',
} as const;

/** Messages between this module and worker-main.ts, in the order they are sent. */
export const READY = 'worker-ready';
export const RUN = 'worker-run';
export const RUNNING = 'worker-running';

/** How a worker process is started. */
export interface WorkerProcessOptions {
  address: string;
  taskQueue: string;
  /** Makes the worker kill itself once this activity has applied its effect. */
  dieAfter?: keyof FleetActivities;
}

/** A worker process, ready to poll its task queue. */
export interface WorkerProcess {
  /** Lets the worker poll; resolves once it does. */
  run: () => Promise<void>;
  /** The signal that ended the process, or its exit code. */
  ended: Promise<NodeJS.Signals | number | null>;
  /** SIGKILL, then waits until the process is gone. */
  kill: () => Promise<NodeJS.Signals | number | null>;
}

const ENTRY = path.join(__dirname, 'worker-main.ts');
const TIMEOUT_MS = 30_000;
const started = new Set<ChildProcess>();

/** Starts a worker process that bundles, connects, and then waits for `run()`. */
export async function standbyWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['-r', 'tsx/cjs', ENTRY], {
    cwd: PROJECT_ROOT,
    // The IPC channel carries the messages above and tells the worker when its parent died.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: {
      ...process.env,
      AWS_EC2_METADATA_DISABLED: 'true',
      [WORKER_ENV.address]: options.address,
      [WORKER_ENV.taskQueue]: options.taskQueue,
      [WORKER_ENV.dieAfter]: options.dieAfter ?? '',
    },
  });
  started.add(child);
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const ended = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      started.delete(child);
      resolve(signal ?? code);
    }),
  );
  const kill = async (): Promise<NodeJS.Signals | number | null> => {
    child.kill('SIGKILL');
    return ended;
  };

  /** Resolves when the worker says `message`; fails with its output if it ends or stalls. */
  const said = async (message: string): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no ${message} in time`)), TIMEOUT_MS);
        child.on('message', (m) => m === message && resolve());
        void ended.then((how) => reject(new Error(`ended (${how}) before ${message}`)));
      });
    } catch (err) {
      await kill();
      throw new Error(`worker process: ${(err as Error).message}\n${output}`);
    } finally {
      clearTimeout(timer);
    }
  };

  await said(READY);
  return {
    run: async () => {
      child.send(RUN);
      await said(RUNNING);
    },
    ended,
    kill,
  };
}

/** Starts a worker process and lets it poll at once. */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const worker = await standbyWorkerProcess(options);
  await worker.run();
  return worker;
}

/** Kills every worker process still running; for afterAll, whatever the test's outcome. */
export async function killWorkerProcesses(): Promise<void> {
  const alive = [...started];
  const gone = alive.map((child) => new Promise((resolve) => child.once('exit', resolve)));
  for (const child of alive) child.kill('SIGKILL');
  await Promise.all(gone);
}
