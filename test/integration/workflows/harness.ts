// A time-skipping Temporal test server and a real worker running the real workflows.
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { type Worker } from '@temporalio/worker';

import type { FleetActivities } from '../../../activities';
import { createFleetWorker } from '../../../workers/worker';
import { timeSkippingServer } from '../../support/sandbox';

/** Starts the time-skipping test server (the installed binary; nothing is downloaded). */
export function startTestServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: timeSkippingServer() },
  });
}

/** A worker on a task queue of its own, so tests in one file never share one. */
export async function testWorker(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  activities: FleetActivities,
): Promise<Worker> {
  return createFleetWorker({ connection: env.nativeConnection, taskQueue, activities });
}
