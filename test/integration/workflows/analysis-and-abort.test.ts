import { type TestWorkflowEnvironment } from '@temporalio/testing';

import type { CreatedResource } from '../../../activities';
import type { MigrationPlanInput } from '../../../plan';
import {
  abortSignal,
  fleetMigration,
  type Decision,
  type MigrationStatus,
} from '../../../workflows';
import {
  breach,
  fakeActivities,
  fakePlan,
  fakeWorld,
  pass,
  without,
  type FakeWorld,
} from './fake-activities';
import { OPERATOR, startTestServer, testWorker, waitForStatus } from './harness';

jest.setTimeout(60_000);

let env: TestWorkflowEnvironment;
let queue = 0;

beforeAll(async () => {
  env = await startTestServer();
}, 60_000);

afterAll(async () => {
  await env?.teardown();
});

/** Runs a migration with a scripted analysis until it ends or waits for an operator. */
async function runScripted(
  overrides: MigrationPlanInput,
  script: FakeWorld['analysis'],
): Promise<{ status: MigrationStatus; world: FakeWorld }> {
  const plan = fakePlan(overrides);
  const world = fakeWorld(plan);
  world.analysis = script;
  const taskQueue = `analysis-${++queue}`;
  const worker = await testWorker(env, taskQueue, fakeActivities(world, plan));
  const status = await worker.runUntil(async () => {
    const handle = await env.client.workflow.start(fleetMigration, {
      args: [plan],
      taskQueue,
      workflowId: taskQueue,
    });
    const final = await waitForStatus(env, handle, (s) =>
      ['WaitingForOperator', 'Succeeded', 'Paused'].includes(s.state),
    );
    if (final.state !== 'Succeeded') await handle.terminate('test done');
    return final;
  });
  return { status, world };
}

const steps = { stepsPercent: [10, 50, 100], soakSeconds: 120 };

describe('analysis outcomes', () => {
  it('passes every step when metrics stay within thresholds', async () => {
    const { status } = await runScripted({ dns: steps }, () => pass());
    expect(status.state).toBe('Succeeded');
    expect(status.rollbacks).toEqual([]);
  });

  it('tolerates breaches up to the failure limit, then rolls back to the last healthy step', async () => {
    const { status, world } = await runScripted(
      { dns: steps, analysis: { failureLimit: 1, intervalSeconds: 60 } },
      // Runs 0-1 soak 10 %, run 2 breaches at 50 % (within limit), run 3 breaches again.
      (run) => (run >= 2 ? breach(0.7) : pass()),
    );
    expect(status.state).toBe('WaitingForOperator');
    expect(status.rollbacks[0]).toMatchObject({ from: 50, to: 10 });
    expect(status.lastAnalysis).toMatchObject({ outcome: 'Breach', failures: 2, failureLimit: 1 });
    expect(status.decisions.map((d) => d.kind)).toEqual(['AnalysisBreach']);
    expect(world.weights.map((w) => w.iotCore)).toEqual([10, 50, 40, 30, 20, 10]);
  });

  it('rolls back when analysis errors exceed the error limit', async () => {
    const { status } = await runScripted({ dns: steps, analysis: { errorLimit: 1 } }, (run) =>
      run >= 2 ? without('Error') : pass(),
    );
    expect(status.state).toBe('WaitingForOperator');
    expect(status.decisions.map((d) => d.kind)).toEqual(['AnalysisError']);
    expect(status.rollbacks[0]).toMatchObject({
      from: 50,
      to: 10,
      numbers: { errors: 2, errorLimit: 1 },
    });
  });

  it('treats missing data as a breach under the fail policy', async () => {
    const { status } = await runScripted({ dns: steps, analysis: { missingData: 'fail' } }, () =>
      without('NoData'),
    );
    expect(status.state).toBe('WaitingForOperator');
    expect(status.rollbacks[0]).toMatchObject({ from: 10, to: 0 });
    expect(status.decisions[0]).toMatchObject({
      kind: 'AnalysisBreach',
      reason: 'no data counts as a breach',
    });
  });

  it('pauses for an operator on missing data under the pause policy', async () => {
    const { status, world } = await runScripted(
      { dns: steps, analysis: { missingData: 'pause' } },
      () => without('NoData'),
    );
    expect(status.state).toBe('Paused');
    expect(status.rollbacks).toEqual([]);
    expect(status.decisions[0]).toMatchObject({ kind: 'AnalysisNoData', by: 'analysis' });
    expect(world.weights.map((w) => w.iotCore)).toEqual([10]);
  });

  it('ignores missing data under the ignore policy', async () => {
    const { status } = await runScripted({ dns: steps, analysis: { missingData: 'ignore' } }, () =>
      without('NoData'),
    );
    expect(status.state).toBe('Succeeded');
    expect(status.lastAnalysis?.outcome).toBe('NoData');
  });
});

describe('rollback pacing', () => {
  it('returns devices to zero in steps of the planned size with the planned pause', async () => {
    const plan = fakePlan({
      dns: {
        stepsPercent: [25, 50, 100],
        soakSeconds: 60,
        rollback: { to: 'zero', maxStepPercent: 20, stepPauseSeconds: 300 },
      },
    });
    const world = fakeWorld(plan);
    world.analysis = (run) => (run === 1 ? breach() : pass());
    const worker = await testWorker(env, 'pacing', fakeActivities(world, plan));
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(fleetMigration, {
        args: [plan],
        taskQueue: 'pacing',
        workflowId: 'pacing',
      });
      const status = await waitForStatus(env, handle, (s) => s.state === 'WaitingForOperator');
      // 50 -> 30 -> 10 -> 0: two pauses of 300 s between three changes.
      expect(world.weights.map((w) => w.iotCore)).toEqual([25, 50, 30, 10, 0]);
      expect(status.rollbacks[0]).toMatchObject({ from: 50, to: 0 });
      const breachAt = Date.parse(status.decisions[0].at);
      expect(Date.parse(status.rollbacks[0].at) - breachAt).toBeGreaterThanOrEqual(600_000);
      await handle.terminate('test done');
    });
  });
});

/** The run ended Aborted, and the abort arrived during `phase`. */
function expectAbortedIn(status: MigrationStatus, phase: MigrationStatus['phase']): void {
  expect(status).toMatchObject({ state: 'Aborted', phase: 'Aborted' });
  expect(status.decisions.find((d) => d.kind === 'AbortRequested')?.phase).toBe(phase);
}

/** The legacy broker's ECS service in the abort tests, and its count before cleanup. */
const LEGACY_BROKER = 'legacy-broker';
const LEGACY_BROKER_COUNT = 2;

/** The run recorded that cleanup was undone, by the aborting operator, and why DNS stayed. */
function expectCleanupUndone(status: MigrationStatus, numbers: Record<string, number>): Decision {
  const undone = status.decisions.find((d) => d.kind === 'RolledBack');
  expect(undone).toMatchObject({ phase: 'Cleanup', by: 'dave', numbers });
  expect(undone?.reason).toContain('DNS weights stay at 100% IoT Core');
  return undone as Decision;
}

describe('abort', () => {
  /** Aborts once the run is in `phase` and `ready` holds for the fake world. */
  async function abortDuring(
    phase: MigrationStatus['phase'],
    setup?: (world: FakeWorld) => void,
    ready: (world: FakeWorld) => boolean = () => true,
  ): Promise<{ status: MigrationStatus; world: FakeWorld }> {
    const plan = fakePlan({
      dns: { stepsPercent: [10, 50, 100], soakSeconds: 600 },
      backends: {
        maxParallelServices: 1,
        services: [
          {
            name: 'telemetry',
            legacyService: 'telemetry-legacy',
            migratedService: 'telemetry-iot',
            instances: 3,
            verifySeconds: 120,
          },
        ],
      },
      cleanup: {
        zeroTrafficWindowSeconds: 600,
        checkIntervalSeconds: 60,
        decommissionLegacy: true,
        legacyBrokerService: LEGACY_BROKER,
      },
    });
    const world = fakeWorld(plan);
    world.desired.set(LEGACY_BROKER, LEGACY_BROKER_COUNT);
    setup?.(world);
    // Two tests abort in one phase: each gets its own queue and id.
    const taskQueue = `abort-${phase}-${++queue}`;
    const worker = await testWorker(env, taskQueue, fakeActivities(world, plan));
    const status = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(fleetMigration, {
        args: [plan],
        taskQueue,
        workflowId: taskQueue,
      });
      await waitForStatus(env, handle, (s) => s.phase === phase && ready(world), 30_000);
      await handle.signal(abortSignal, { by: 'dave', reason: `stop in ${phase}` });
      return handle.result();
    });
    return { status, world };
  }

  it('undoes preparation: bridge back to its old counts and created resources removed', async () => {
    const { status, world } = await abortDuring('Preparation', (w) => {
      // Hold preparation in its canary so the abort lands inside the phase.
      w.failWith = { probeBridge: () => new Error('bridge not up yet') };
    });
    expectAbortedIn(status, 'Preparation');
    expect(status.endReason).toBe('stop in Preparation');
    expect(world.readinessRemoved).toBe(1);
    expect(world.desired.get('bridge-device-to-backend')).toBe(0);
    expect(world.desired.get('bridge-backend-to-device')).toBe(0);
  });

  it('undoes preparation to the bridge counts from before, also after a lost answer', async () => {
    const { status, world } = await abortDuring('Preparation', (w) => {
      w.failWith = { probeBridge: () => new Error('bridge not up yet') };
      // ECS applies the bridge's first scale and the answer is lost (the worker died, say): the
      // retry finds the bridge at its new count already and reports that as the count before.
      let lost = false;
      w.afterScale = (service) => {
        if (service !== 'bridge-device-to-backend' || lost) return;
        lost = true;
        throw new Error('answer lost');
      };
    });
    expectAbortedIn(status, 'Preparation');
    expect(world.desired.get('bridge-device-to-backend')).toBe(0);
    expect(world.desired.get('bridge-backend-to-device')).toBe(0);
  });

  it('undoes preparation to no readiness resource left, also after a lost answer', async () => {
    const everything: CreatedResource[] = [
      { kind: 'ca-certificate', id: 'ca-der' },
      { kind: 'ca-certificate', id: 'ca-pem' },
      { kind: 'domain-configuration', id: 'domain' },
      { kind: 'bucket', id: 'bucket' },
      { kind: 'topic-rule', id: 'rule' },
    ];
    const ensured = (w: FakeWorld): number =>
      w.calls.filter((c) => c.name === 'ensureIotCoreReadiness').length;
    const { status, world } = await abortDuring(
      'Preparation',
      (w) => {
        w.failWith = { probeBridge: () => new Error('bridge not up yet') };
        w.readinessMissing = [...everything];
        // Ensuring creates everything and the answer is lost (the worker died, say): the retry
        // finds it all in place and reports nothing created.
        w.afterEnsure = () => {
          if (ensured(w) === 1) throw new Error('answer lost');
        };
      },
      // Abort once the retry answered, with preparation held in its canary.
      (w) => w.calls.some((c) => c.name === 'probeBridge'),
    );
    expectAbortedIn(status, 'Preparation');
    expect(ensured(world)).toBe(2);
    const removal = world.calls.find((c) => c.name === 'removeIotCoreReadiness');
    const removed = (removal?.input as { created: CreatedResource[] }).created;
    expect(removed).toHaveLength(everything.length);
    expect(removed).toEqual(expect.arrayContaining(everything));
  });

  it('undoes backends: every instance back on legacy, never below the original count', async () => {
    const { status, world } = await abortDuring('Backends');
    expectAbortedIn(status, 'Backends');
    expect(world.desired.get('telemetry-legacy')).toBe(3);
    expect(world.desired.get('telemetry-iot')).toBe(0);
    expect(world.minTotals.get('telemetry')).toBe(3);
    expect(status.services[0]).toMatchObject({
      state: 'RolledBack',
      legacyCount: 3,
      migratedCount: 0,
    });
  });

  it('undoes devices: weights back to zero, paced', async () => {
    const { status, world } = await abortDuring('Devices');
    expectAbortedIn(status, 'Devices');
    expect(world.weights[world.weights.length - 1]).toEqual({ legacy: 100, iotCore: 0 });
    expect(status.rollbacks[0]).toMatchObject({ by: 'dave', reason: 'stop in Devices', to: 0 });
    // Backends stay migrated: only the current phase is undone.
    expect(world.desired.get('telemetry-iot')).toBe(3);
  });

  it('undoes cleanup: the bridge comes back, DNS stays where the devices phase left it', async () => {
    const { status, world } = await abortDuring('Cleanup', (w) => {
      w.legacyTraffic = () => 42;
    });
    expectAbortedIn(status, 'Cleanup');
    expect(world.desired.get('bridge-device-to-backend')).toBe(1);
    expect(world.desired.get('bridge-backend-to-device')).toBe(1);
    expect(status.decisions.map((d) => d.kind)).toContain('AbortRequested');
    // Aborted before the decommission: the legacy broker was never touched.
    const brokerScales = world.calls.filter(
      (c) =>
        c.name === 'scaleService' && (c.input as { service: string }).service === LEGACY_BROKER,
    );
    expect(brokerScales).toEqual([]);
    expect(world.weights[world.weights.length - 1]).toEqual({ legacy: 0, iotCore: 100 });
    expectCleanupUndone(status, { iotCorePercent: 100 });
  });

  it('undoes cleanup after the decommission: the legacy broker comes back too', async () => {
    const { status, world } = await abortDuring(
      'Cleanup',
      (w) => {
        // ECS applies the scale to 0 and the answer is lost, so the activity keeps retrying
        // (and would report 0 as the count before) while the abort arrives.
        w.afterScale = (service, count) => {
          if (service === LEGACY_BROKER && count === 0) throw new Error('answer lost');
        };
      },
      (w) => w.desired.get(LEGACY_BROKER) === 0,
    );
    expectAbortedIn(status, 'Cleanup');
    expect(world.desired.get(LEGACY_BROKER)).toBe(LEGACY_BROKER_COUNT);
    expect(world.desired.get('bridge-device-to-backend')).toBe(1);
    expect(world.desired.get('bridge-backend-to-device')).toBe(1);
    expect(world.weights[world.weights.length - 1]).toEqual({ legacy: 0, iotCore: 100 });
    const undone = expectCleanupUndone(status, {
      legacyBroker: LEGACY_BROKER_COUNT,
      iotCorePercent: 100,
    });
    expect(undone.reason).toContain(`legacy broker ${LEGACY_BROKER} back to 2`);
  });

  it('stops after a failed phase was undone when the operator aborts instead of resuming', async () => {
    const plan = fakePlan();
    const world = fakeWorld(plan);
    world.failWith = { checkReachability: () => new Error('legacy broker refused the connection') };
    const worker = await testWorker(env, 'abort-failed', fakeActivities(world, plan));
    const status = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(fleetMigration, {
        args: [plan],
        taskQueue: 'abort-failed',
        workflowId: 'abort-failed',
      });
      const waiting = await waitForStatus(
        env,
        handle,
        (s) => s.state === 'WaitingForOperator',
        30_000,
      );
      expect(waiting.decisions[0].kind).toBe('PhaseFailed');
      expect(waiting.decisions[0].reason).toContain('legacy broker refused the connection');
      await handle.signal(abortSignal, OPERATOR);
      return handle.result();
    });
    expect(status.state).toBe('Aborted');
  });
});
