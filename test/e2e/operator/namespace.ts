import { setTimeout as delay } from 'node:timers/promises';

import { Client, Connection } from '@temporalio/client';

type RetentionPeriod = Parameters<
  Connection['workflowService']['registerNamespace']
>[0]['workflowExecutionRetentionPeriod'];

/**
 * Makes sure the operator tests' own namespace exists on the test server and holds no running
 * workflow, so "the most recent running migration" and "none running" are not disturbed by
 * other developers' tests that use the default namespace at the same time.
 */
export async function freshNamespace(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    try {
      await connection.workflowService.registerNamespace({
        namespace,
        // protobufjs types seconds as Long but encodes a plain number just the same.
        workflowExecutionRetentionPeriod: { seconds: 24 * 3600 } as unknown as RetentionPeriod,
      });
    } catch (err) {
      // ALREADY_EXISTS: a previous run registered it.
      if ((err as { code?: number }).code !== 6) throw err;
    }
    const client = new Client({ connection, namespace });
    // A new namespace takes a moment to reach the frontend's cache.
    for (let attempt = 0; ; attempt += 1) {
      try {
        for await (const leftover of client.workflow.list({
          query: "ExecutionStatus = 'Running'",
        })) {
          await client.workflow.getHandle(leftover.workflowId).terminate('stale operator test run');
        }
        return;
      } catch (err) {
        if (attempt >= 40) throw err;
        await delay(250);
      }
    }
  } finally {
    await connection.close();
  }
}
