import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';

import { testEndpoints } from '../../support/sandbox';

describe('the sandbox Temporal dev server', () => {
  it('runs a workflow with an activity to completion on a real worker', async () => {
    const address = testEndpoints().temporalAddress;
    const taskQueue = `foundation-${process.pid}`;
    const nativeConnection = await NativeConnection.connect({ address });
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../../fixtures/hello-workflow'),
      activities: { greet: async (name: string) => `hello ${name}` },
    });

    const connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const result = await worker.runUntil(
      client.workflow.execute('helloFleet', {
        taskQueue,
        workflowId: `hello-${Date.now()}`,
        args: ['fleet'],
      }),
    );

    expect(result).toBe('hello fleet');
    await connection.close();
    await nativeConnection.close();
  }, 60_000);

  it('serves the Temporal Web UI', async () => {
    const response = await fetch(testEndpoints().temporalUiUrl);
    expect(response.status).toBe(200);
    expect(await response.text()).toMatch(/<html/i);
  });
});
