// The Temporal worker process: runs fleetshift's workflows and activities on one task queue.
import {
  bundleWorkflowCode,
  NativeConnection,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import pino from 'pino';

import { activities, type FleetActivities } from '../activities';
import { DEFAULT_NAMESPACE, TASK_QUEUE } from '../workflows/api';

const logger = pino({ name: 'fleetshift-worker' });

/** Where the worker connects. */
export interface WorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /** Tests pass fakes; the real activities otherwise. */
  activities?: Partial<FleetActivities>;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow code, bundled once per process (bundling takes seconds). */
export function fleetWorkflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    logger: {
      log: () => undefined,
      trace: () => undefined,
      debug: () => undefined,
      info: () => undefined,
      warn: (m) => logger.warn(m),
      error: (m) => logger.error(m),
    },
  });
  return bundle;
}

/** A worker for fleetshift's task queue, not yet running. */
export async function createFleetWorker(options: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? DEFAULT_NAMESPACE,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    workflowBundle: await fleetWorkflowBundle(),
    activities: options.activities ?? activities,
  });
}

/** Connects to Temporal and runs the worker until SIGINT or SIGTERM. */
export async function runWorker(address: string, namespace: string): Promise<void> {
  // No AWS client falls back to the instance metadata service unless the operator asks for it
  // (AWS_EC2_METADATA_DISABLED=false, for an EC2 instance role): off the cloud, that address
  // answers nothing or, worse, something else.
  process.env.AWS_EC2_METADATA_DISABLED ??= 'true';
  const connection = await NativeConnection.connect({ address });
  try {
    const worker = await createFleetWorker({ connection, namespace });
    logger.info({ address, namespace, taskQueue: TASK_QUEUE }, 'worker running');
    await worker.run();
    logger.info('worker stopped');
  } finally {
    await connection.close();
  }
}
