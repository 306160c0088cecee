// Scale benchmark: a plan of 80 backend services with 100 instances each, zero soak, on the
// time-skipping test server with instant fake activities. Reports the longest workflow history
// (the parent, every child and every continued run) against Temporal's limits.
//   npm run bench:workflows -- --json
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';

import { fleetMigration } from '../../workflows';
import { fakeActivities, fakePlan, fakeWorld } from '../integration/workflows/fake-activities';
import { timeSkippingServer } from '../support/sandbox';
import { createFleetWorker } from '../../workers/worker';
import type { FleetActivities } from '../../activities';

const SERVICES = 80;
const INSTANCES = 100;

interface BenchResult {
  outcome: string;
  services: number;
  instancesPerService: number;
  maxHistoryEvents: number;
  totalEvents: number;
  wallSeconds: number;
}

/** Wraps each fake so it notes which workflow run called it. */
function tracking(activities: FleetActivities, runs: Set<string>): FleetActivities {
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = (input: unknown) => {
      const execution = Context.current().info.workflowExecution;
      if (execution) runs.add(`${execution.workflowId}\n${execution.runId}`);
      return (fn as (i: unknown) => Promise<unknown>)(input);
    };
  }
  return wrapped as FleetActivities;
}

async function bench(): Promise<BenchResult> {
  // Only the JSON line goes to stdout: quiet the SDK's own logs (native and workflow INFO).
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
  const started = Date.now();
  const plan = fakePlan({
    name: 'bench',
    canary: { enabled: true },
    backends: {
      maxParallelServices: 10,
      services: Array.from({ length: SERVICES }, (_, i) => ({
        name: `svc-${i}`,
        legacyService: `svc-${i}-legacy`,
        migratedService: `svc-${i}-iot`,
        instances: INSTANCES,
      })),
    },
    bridge: { instancesPerMigratedInstance: 0.05, maxInstances: 500 },
    dns: { soakSeconds: 0 },
    cleanup: { zeroTrafficWindowSeconds: 0 },
  });
  const world = fakeWorld(plan);
  const runs = new Set<string>();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: timeSkippingServer() },
  });
  try {
    const worker = await createFleetWorker({
      connection: env.nativeConnection,
      taskQueue: 'bench',
      activities: tracking(fakeActivities(world, plan), runs),
    });
    const status = await worker.runUntil(
      env.client.workflow.execute(fleetMigration, {
        args: [plan],
        taskQueue: 'bench',
        workflowId: 'bench',
      }),
    );
    let maxHistoryEvents = 0;
    let totalEvents = 0;
    for (const run of runs) {
      const [workflowId, runId] = run.split('\n');
      const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
      const events = history.events?.length ?? 0;
      maxHistoryEvents = Math.max(maxHistoryEvents, events);
      totalEvents += events;
    }
    return {
      outcome: status.state,
      services: SERVICES,
      instancesPerService: INSTANCES,
      maxHistoryEvents,
      totalEvents,
      wallSeconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    await env.teardown();
  }
}

void bench().then(
  (result) => {
    if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.exitCode = result.outcome === 'Succeeded' && result.maxHistoryEvents <= 10_000 ? 0 : 1;
  },
  (err: unknown) => {
    process.stderr.write(`bench failed: ${(err as Error).stack}\n`);
    process.exitCode = 1;
  },
);
