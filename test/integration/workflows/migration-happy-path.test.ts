import { type TestWorkflowEnvironment } from '@temporalio/testing';

import { fleetMigration, statusQuery } from '../../../workflows';
import { fakeActivities, fakePlan, fakeWorld } from './fake-activities';
import { startTestServer, testWorker } from './harness';

jest.setTimeout(60_000);

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startTestServer();
}, 60_000);

afterAll(async () => {
  await env?.teardown();
});

describe('fleetMigration without incidents', () => {
  it('runs preparation, backends, devices and cleanup, soaking each step for the planned time', async () => {
    const plan = fakePlan();
    const world = fakeWorld(plan);
    const worker = await testWorker(env, 'happy', fakeActivities(world, plan));
    const started = await env.currentTimeMs();

    const status = await worker.runUntil(
      env.client.workflow.execute(fleetMigration, {
        args: [plan],
        taskQueue: 'happy',
        workflowId: 'happy-path',
      }),
    );

    expect(status.state).toBe('Succeeded');
    expect(status.phase).toBe('Succeeded');
    expect(world.weights).toEqual([
      { legacy: 90, iotCore: 10 },
      { legacy: 50, iotCore: 50 },
      { legacy: 0, iotCore: 100 },
    ]);
    // 3 steps x 300 s soak, one analysis each 60 s.
    expect(world.calls.filter((c) => c.name === 'evaluateAnalysis').length).toBe(15);
    expect((await env.currentTimeMs()) - started).toBeGreaterThanOrEqual(900_000);
    expect(status.services.map((s) => [s.name, s.state, s.legacyCount, s.migratedCount])).toEqual([
      ['telemetry', 'Succeeded', 0, 3],
      ['commands', 'Succeeded', 0, 2],
    ]);
    expect(world.minTotals.get('telemetry')).toBe(3);
    expect(world.maxTotals.get('telemetry')).toBe(4);
    expect(world.minTotals.get('commands')).toBe(2);
    expect(world.maxTotals.get('commands')).toBe(4);
    const directions = world.calls
      .filter((c) => c.name === 'probeBridge')
      .map((c) => (c.input as { direction: string }).direction);
    expect(directions).toEqual(['device-to-backend', 'backend-to-device']);
    expect(world.desired.get(plan.bridge.deviceToBackend.service)).toBe(0);
    expect(world.desired.get(plan.bridge.backendToDevice.service)).toBe(0);
    expect(status.lastAnalysis?.outcome).toBe('Pass');
  });

  it('answers the status query with plain JSON while it runs', async () => {
    const plan = fakePlan({ dns: { stepsPercent: [10, 100], soakSeconds: 600 } });
    const world = fakeWorld(plan);
    const worker = await testWorker(env, 'status', fakeActivities(world, plan));
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(fleetMigration, {
        args: [plan],
        taskQueue: 'status',
        workflowId: 'status-query',
      });
      await env.sleep(120_000);
      const status = await handle.query(statusQuery);
      expect(JSON.parse(JSON.stringify(status))).toEqual(status);
      expect(status.phase).toBe('Devices');
      expect(status.state).toBe('Soaking');
      expect(status.step).toEqual({ index: 0, count: 2, iotCorePercent: 10 });
      expect(status.dnsWeights).toEqual({ legacy: 90, iotCore: 10 });
      await handle.result();
    });
  });
});
