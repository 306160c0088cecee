// A fleetshift worker with the real activities, alone in its own process, so that a test can end
// it with SIGKILL the way a crashed host or the OOM killer would: no shutdown, no goodbye to
// Temporal. Started by test/support/worker-process.ts, configured through the environment.
import './quiet-temporal';

import { NativeConnection } from '@temporalio/worker';

import { activities, type FleetActivities } from '../../activities';
import { createFleetWorker } from '../../workers/worker';
import { READY, RUN, RUNNING, WORKER_ENV } from './worker-process';

/**
 * The real activities, except that `name` kills the process once its effect is applied and
 * before its result reaches Temporal: the moment a retry could apply the effect a second time.
 */
function dyingAfter(name: keyof FleetActivities): FleetActivities {
  const real = activities[name] as (input: unknown) => Promise<unknown>;
  const last = async (input: unknown): Promise<unknown> => {
    const result = await real(input);
    process.kill(process.pid, 'SIGKILL');
    return result;
  };
  return { ...activities, [name]: last };
}

async function main(): Promise<void> {
  const address = process.env[WORKER_ENV.address];
  const taskQueue = process.env[WORKER_ENV.taskQueue];
  if (!address || !taskQueue) throw new Error('worker-main needs an address and a task queue');
  const dieAfter = process.env[WORKER_ENV.dieAfter] as keyof FleetActivities | undefined;
  if (dieAfter && !(dieAfter in activities)) throw new Error(`no activity ${dieAfter}`);

  // Without its test runner (even one killed outright) nobody would ever stop this worker.
  process.on('disconnect', () => process.exit(1));

  const connection = await NativeConnection.connect({ address });
  const worker = await createFleetWorker({
    connection,
    taskQueue,
    activities: dieAfter ? dyingAfter(dieAfter) : activities,
  });
  // Bundling and connecting take seconds: done ahead, so a test restarts a worker at once.
  const go = new Promise<void>((resolve) => process.on('message', (m) => m === RUN && resolve()));
  process.send?.(READY);
  await go;
  const running = worker.run();
  process.send?.(RUNNING);
  await running;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
