import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { temporal } from '@temporalio/proto';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';

import { createFleetWorker, fleetWorkflowBundle } from '../../../workers/worker';
import {
  approveSignal,
  fleetMigration,
  statusQuery,
  type MigrationStatus,
} from '../../../workflows';
import { testEndpoints } from '../../support/sandbox';
import { fakeActivities, fakePlan, fakeWorld } from './fake-activities';

jest.setTimeout(90_000);

// The restart runs on the shared test sandbox's Temporal dev server, in real time with short
// soaks: the time-skipping server stops accepting connections once a worker shuts down.
let connection: NativeConnection;
let client: Client;

beforeAll(async () => {
  const address = testEndpoints().temporalAddress;
  connection = await NativeConnection.connect({ address });
  client = new Client({ connection: await Connection.connect({ address }) });
}, 30_000);

afterAll(async () => {
  await connection?.close();
  await client?.connection.close();
});

describe('worker restart', () => {
  it('finishes after the worker stops and a new one starts, with no side effect applied twice', async () => {
    const plan = fakePlan({
      dns: { stepsPercent: [10, 50, 100], soakSeconds: 2, approvalStepsPercent: [100] },
      analysis: { intervalSeconds: 1 },
    });
    const world = fakeWorld(plan);
    const taskQueue = `restart-${randomUUID()}`;

    const first = await createFleetWorker({
      connection,
      taskQueue,
      activities: fakeActivities(world, plan),
    });
    const running = first.run();
    const handle = await client.workflow.start(fleetMigration, {
      args: [plan],
      taskQueue,
      workflowId: taskQueue,
    });
    await waitFor(handle, (s) => s.state === 'WaitingForApproval');
    first.shutdown();
    await running;

    // Sent while no worker runs: kept by the server, honoured by the next worker.
    await handle.signal(approveSignal, { by: 'erin', reason: 'approved offline', gate: 'dns-100' });

    const second = await createFleetWorker({
      connection,
      taskQueue,
      activities: fakeActivities(world, plan),
    });
    const status = await second.runUntil(handle.result());

    expect(status.state).toBe('Succeeded');
    expect(world.weights.map((w) => w.iotCore)).toEqual([10, 50, 100]);
    const count = (name: string): number => world.calls.filter((c) => c.name === name).length;
    expect(count('ensureIotCoreReadiness')).toBe(1);
    expect(count('probeBridge')).toBe(2);
    expect(count('setDnsWeights')).toBe(3);
    // Bridge up (2), backend steps (3 + 1 steps, two services scaled each), bridge down (2).
    expect(count('scaleService')).toBe(2 + 3 * 2 + 1 * 2 + 2);
    expect(status.decisions.map((d) => [d.kind, d.by])).toEqual([['Approved', 'erin']]);
  });
});

async function waitFor(
  handle: WorkflowHandle<typeof fleetMigration>,
  check: (status: MigrationStatus) => boolean,
): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!check(await handle.query(statusQuery))) {
    if (Date.now() > deadline) throw new Error('status never matched');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('determinism', () => {
  it('replays a recorded history of a migration with a rollback and a gate', async () => {
    const file = path.resolve(__dirname, '../../fixtures/fleet-migration-history.json');
    // History.fromObject, not historyFromJSON: the latter fails here with 'type must be a Type'.
    const history = temporal.api.history.v1.History.fromObject(
      JSON.parse(readFileSync(file, 'utf8')),
    );
    await Worker.runReplayHistory(
      { workflowBundle: await fleetWorkflowBundle() },
      history,
      'recorded-migration',
    );
  });
});
