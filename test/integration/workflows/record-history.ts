// Records the history the replay test replays: a migration with a gate, a breach, a rollback
// and a resume, on the time-skipping server with fake activities. Run it again (and commit the
// file) only when a workflow change is meant to be incompatible and sits behind patched().
//   node -r tsx/cjs test/integration/workflows/record-history.ts
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import { approveSignal, fleetMigration, resumeSignal } from '../../../workflows';
import { breach, fakeActivities, fakePlan, fakeWorld, pass } from './fake-activities';
import { startTestServer, testWorker, waitForStatus } from './harness';

async function main(): Promise<void> {
  const env = await startTestServer();
  try {
    const plan = fakePlan({
      dns: { stepsPercent: [10, 50, 100], soakSeconds: 120, approvalStepsPercent: [100] },
    });
    const world = fakeWorld(plan);
    world.analysis = (run) => (run === 3 ? breach() : pass());
    const worker = await testWorker(env, 'record', fakeActivities(world, plan));
    await worker.runUntil(async () => {
      const handle = await env.client.workflow.start(fleetMigration, {
        args: [plan],
        taskQueue: 'record',
        workflowId: 'recorded-migration',
      });
      await waitForStatus(env, handle, (s) => s.state === 'WaitingForOperator', 30_000);
      await handle.signal(resumeSignal, { by: 'recorder', reason: 'retry' });
      await waitForStatus(env, handle, (s) => s.state === 'WaitingForApproval', 30_000);
      await handle.signal(approveSignal, { by: 'recorder', reason: 'go', gate: 'dns-100' });
      await handle.result();
      const history = await handle.fetchHistory();
      const file = path.resolve(__dirname, '../../fixtures/fleet-migration-history.json');
      // protobufjs' own JSON form; the replay test reads it back with History.fromObject.
      writeFileSync(file, `${JSON.stringify(history, null, 1)}\n`);
      process.stdout.write(`recorded ${history.events?.length} events to ${file}\n`);
    });
  } finally {
    await env.teardown();
  }
}

void main();
