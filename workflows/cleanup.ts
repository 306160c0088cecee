// Phase 3: once the legacy broker has carried nothing for a whole window, the bridge goes.
import { continueAsNew, log, sleep } from '@temporalio/workflow';

import { act } from './activity-presets';
import type { ContinuedMigration } from './devices';
import type { MigrationStatus } from './api';
import { enter } from './migration-state';
import { historyIsLong, type PhaseContext } from './phase-context';

/** Waits for zero legacy traffic, scales the bridge to zero, decommissions if planned. */
export async function runCleanup(ctx: PhaseContext): Promise<void> {
  const { plan, memory } = ctx;
  enter(memory, 'Cleanup', 'Running');
  const { cleanup } = plan;

  while (cleanup.zeroTrafficWindowSeconds > 0) {
    const traffic = await act.sumMetric({
      aws: plan.aws,
      metric: cleanup.legacyTraffic,
      windowSeconds: cleanup.zeroTrafficWindowSeconds,
      endTimeMs: Date.now(),
    });
    if (traffic === 0) break;
    log.info('legacy broker still carries traffic', { traffic: traffic ?? 'no data' });
    await sleep(cleanup.checkIntervalSeconds * 1000);
    if (historyIsLong()) {
      await continueAsNew<
        (plan: unknown, carried?: ContinuedMigration) => Promise<MigrationStatus>
      >(plan, { memory, phase: 'Cleanup' });
    }
  }

  await scaleBridge(ctx, 0, 0);

  if (cleanup.decommissionLegacy && cleanup.legacyBrokerService) {
    await act.scaleService({
      aws: plan.aws,
      cluster: plan.bridge.cluster,
      service: cleanup.legacyBrokerService,
      desiredCount: 0,
    });
    log.info('legacy broker decommissioned', { service: cleanup.legacyBrokerService });
  }
}

/** Brings the bridge back to the plan's counts: what an abort during cleanup does. */
export async function undoCleanup(ctx: PhaseContext): Promise<void> {
  const { bridge } = ctx.plan;
  await scaleBridge(ctx, bridge.deviceToBackend.instances, bridge.backendToDevice.instances);
}

async function scaleBridge(ctx: PhaseContext, d2b: number, b2d: number): Promise<void> {
  const { plan } = ctx;
  const ref = { aws: plan.aws, cluster: plan.bridge.cluster };
  await act.scaleService({
    ...ref,
    service: plan.bridge.deviceToBackend.service,
    desiredCount: d2b,
  });
  await act.scaleService({
    ...ref,
    service: plan.bridge.backendToDevice.service,
    desiredCount: b2d,
  });
}
