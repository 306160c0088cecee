import { type TestWorkflowEnvironment } from '@temporalio/testing';

import { approveSignal, fleetMigration, pauseSignal, resumeSignal } from '../../../workflows';
import { breach, fakeActivities, fakePlan, fakeWorld, pass } from './fake-activities';
import { OPERATOR, startTestServer, testWorker, waitForStatus } from './harness';

jest.setTimeout(60_000);

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startTestServer();
}, 60_000);

afterAll(async () => {
  await env?.teardown();
});

describe('approval gates', () => {
  it('waits at a gate until approved, and records who approved and why', async () => {
    const plan = fakePlan({
      dns: { stepsPercent: [10, 100], soakSeconds: 60, approvalStepsPercent: [100] },
    });
    const world = fakeWorld(plan);
    const worker = await testWorker(env, 'gate', fakeActivities(world, plan));
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(fleetMigration, {
        args: [plan],
        taskQueue: 'gate',
        workflowId: 'gate-wait',
      });
      const waiting = await waitForStatus(env, handle, (s) => s.state === 'WaitingForApproval');
      expect(waiting.waitingGate?.gate).toBe('dns-100');
      expect(waiting.dnsWeights.iotCore).toBe(10);
      // Time passes at the gate and nothing moves.
      await env.sleep(3_600_000);
      expect(world.weights).toEqual([{ legacy: 90, iotCore: 10 }]);

      await handle.signal(approveSignal, {
        by: 'alice',
        reason: 'dashboards green',
        gate: 'dns-100',
      });
      const status = await handle.result();
      expect(status.state).toBe('Succeeded');
      expect(world.weights.map((w) => w.iotCore)).toEqual([10, 100]);
      const approved = status.decisions.find((d) => d.kind === 'Approved');
      expect(approved).toMatchObject({ by: 'alice', reason: 'dns-100: dashboards green' });
    });
  });

  it('passes a gate approved ahead of time without waiting', async () => {
    const plan = fakePlan({
      dns: { stepsPercent: [10, 100], soakSeconds: 60, approvalStepsPercent: [100] },
    });
    const world = fakeWorld(plan);
    const worker = await testWorker(env, 'pre-approved', fakeActivities(world, plan));
    const status = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(fleetMigration, {
        args: [plan],
        taskQueue: 'pre-approved',
        workflowId: 'gate-pre-approved',
      });
      await handle.signal(approveSignal, { ...OPERATOR, gate: 'dns-100' });
      return handle.result();
    });
    expect(status.state).toBe('Succeeded');
    expect(status.decisions.map((d) => d.kind)).toContain('ApprovalRemembered');
  });

  it('rolls back on a breach while waiting at a gate', async () => {
    const plan = fakePlan({
      dns: { stepsPercent: [10, 50, 100], soakSeconds: 60, approvalStepsPercent: [100] },
    });
    const world = fakeWorld(plan);
    // Clean through both soaks (2 runs), then a breach while at the gate before 100 %.
    world.analysis = (run) => (run < 2 ? pass() : breach(0.4));
    const worker = await testWorker(env, 'gate-breach', fakeActivities(world, plan));
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(fleetMigration, {
        args: [plan],
        taskQueue: 'gate-breach',
        workflowId: 'gate-breach',
      });
      const status = await waitForStatus(env, handle, (s) => s.state === 'WaitingForOperator');
      expect(status.waitingGate).toBeNull();
      expect(status.rollbacks).toHaveLength(1);
      expect(status.rollbacks[0]).toMatchObject({
        phase: 'Devices',
        by: 'analysis',
        from: 50,
        to: 10,
      });
      expect(status.rollbacks[0].numbers).toMatchObject({
        ratio: 0.4,
        failures: 1,
        failureLimit: 0,
      });
      expect(world.weights.map((w) => w.iotCore)).toEqual([10, 50, 40, 30, 20, 10]);
      await handle.terminate('test done');
    });
  });
});

describe('pause and resume', () => {
  it('holds before the next step while paused and goes on after resume', async () => {
    const plan = fakePlan({ dns: { stepsPercent: [10, 100], soakSeconds: 120 } });
    const world = fakeWorld(plan);
    const worker = await testWorker(env, 'pause', fakeActivities(world, plan));
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(fleetMigration, {
        args: [plan],
        taskQueue: 'pause',
        workflowId: 'pause-resume',
      });
      await waitForStatus(env, handle, (s) => s.state === 'Soaking');
      await handle.signal(pauseSignal, { by: 'bob', reason: 'change freeze' });
      const paused = await waitForStatus(env, handle, (s) => s.state === 'Paused');
      expect(paused.dnsWeights.iotCore).toBe(10);
      await env.sleep(7_200_000);
      expect(world.weights.map((w) => w.iotCore)).toEqual([10]);
      // Analysis keeps running while paused: a breach would still roll back.
      const runsWhilePaused = world.calls.filter((c) => c.name === 'evaluateAnalysis').length;
      expect(runsWhilePaused).toBeGreaterThan(10);

      await handle.signal(resumeSignal, { by: 'bob', reason: 'freeze over' });
      const status = await handle.result();
      expect(status.state).toBe('Succeeded');
      expect(status.decisions.map((d) => [d.kind, d.by])).toEqual([
        ['Paused', 'bob'],
        ['Resumed', 'bob'],
      ]);
    });
  });

  it('retries from the rolled-back weight when resumed after a rollback', async () => {
    const plan = fakePlan({ dns: { stepsPercent: [10, 50, 100], soakSeconds: 60 } });
    const world = fakeWorld(plan);
    world.analysis = (run) => (run === 1 ? breach() : pass());
    const worker = await testWorker(env, 'retry', fakeActivities(world, plan));
    const status = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(fleetMigration, {
        args: [plan],
        taskQueue: 'retry',
        workflowId: 'resume-after-rollback',
      });
      await waitForStatus(env, handle, (s) => s.state === 'WaitingForOperator');
      await handle.signal(resumeSignal, { by: 'carol', reason: 'fixed the auth policy' });
      return handle.result();
    });
    expect(status.state).toBe('Succeeded');
    expect(world.weights.map((w) => w.iotCore)).toEqual([10, 50, 40, 30, 20, 10, 50, 100]);
  });
});
