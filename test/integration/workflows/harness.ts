// A time-skipping Temporal test server and a real worker running the real workflows.
import { type WorkflowHandle } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { type Worker } from '@temporalio/worker';

import type { FleetActivities } from '../../../activities';
import { createFleetWorker } from '../../../workers/worker';
import { statusQuery, type MigrationStatus } from '../../../workflows/api';
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

/**
 * Polls the status query until `check` holds, moving the test server's clock 5 s per poll
 * (time skips by itself only while a client awaits a result); fails after `timeoutMs` real time.
 */
export async function waitForStatus(
  env: TestWorkflowEnvironment,
  handle: WorkflowHandle,
  check: (status: MigrationStatus) => boolean,
  timeoutMs = 20_000,
): Promise<MigrationStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await handle.query(statusQuery);
    if (check(status)) return status;
    if (Date.now() > deadline) {
      throw new Error(`status never matched; last: ${status.phase}/${status.state}`);
    }
    await env.sleep(5_000);
  }
}

/** Who the tests say they are when they signal. */
export const OPERATOR = { by: 'test-operator', reason: 'test' };
