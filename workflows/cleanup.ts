// Phase 3: once the legacy broker has carried nothing for a whole window, the bridge goes.
import { continueAsNew, log, patched, sleep } from '@temporalio/workflow';

import type { ServiceRef } from '../activities';
import { act } from './activity-presets';
import type { ContinuedMigration } from './devices';
import type { MigrationStatus } from './api';
import { decide, enter } from './migration-state';
import { historyIsLong, type PhaseContext } from './phase-context';

/**
 * Marks runs that read the legacy broker's count before decommissioning it. Runs recorded
 * before it did not, and must replay without that read (or the restore it enables).
 */
const REMEMBER_LEGACY_BROKER = 'cleanup-remembers-legacy-broker';

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

  const legacyBroker = legacyBrokerRef(ctx);
  if (legacyBroker) {
    // Read the count first: once ECS applied a scale to 0, a retry of it reports 0 as the
    // count before. Keep the first attempt's count, as preparation does for the bridge.
    if (patched(REMEMBER_LEGACY_BROKER)) {
      const counts = await act.describeServiceCounts(legacyBroker);
      memory.legacyBrokerBefore ??= counts.desired;
    }
    await act.scaleService({ ...legacyBroker, desiredCount: 0 });
    log.info('legacy broker decommissioned', { service: legacyBroker.service });
  }
}

/**
 * What an abort (or a failure) during cleanup undoes: the bridge back to the plan's counts and,
 * if cleanup decommissioned the legacy broker, that service back to its count from before.
 * The DNS weights stay where the devices phase left them: that phase completed, and an abort
 * undoes only the phase it interrupts. The status says so, for the operator deciding what next.
 */
export async function undoCleanup(ctx: PhaseContext): Promise<void> {
  const { plan, memory } = ctx;
  const { deviceToBackend, backendToDevice } = plan.bridge;
  await scaleBridge(ctx, deviceToBackend.instances, backendToDevice.instances);
  let restored = `bridge back to ${deviceToBackend.instances} + ${backendToDevice.instances}`;
  const numbers: Record<string, number> = {
    deviceToBackend: deviceToBackend.instances,
    backendToDevice: backendToDevice.instances,
  };

  const legacyBroker = legacyBrokerRef(ctx);
  const before = memory.legacyBrokerBefore ?? null;
  if (legacyBroker && before !== null) {
    await act.scaleService({ ...legacyBroker, desiredCount: before });
    memory.legacyBrokerBefore = null;
    restored += `, legacy broker ${legacyBroker.service} back to ${before}`;
    numbers.legacyBroker = before;
  }

  const iotCore = memory.status.dnsWeights.iotCore;
  numbers.iotCorePercent = iotCore;
  decide(
    memory,
    'RolledBack',
    {
      by: ctx.operator.abortRequest?.by ?? 'fleetshift',
      reason:
        `cleanup undone: ${restored}; DNS weights stay at ${iotCore}% IoT Core, ` +
        'where the completed devices phase left them',
    },
    numbers,
  );
}

/** The legacy broker's ECS service if the plan decommissions it. */
function legacyBrokerRef(ctx: PhaseContext): ServiceRef | null {
  const { plan } = ctx;
  const service = plan.cleanup.legacyBrokerService;
  if (!plan.cleanup.decommissionLegacy || !service) return null;
  return { aws: plan.aws, cluster: plan.bridge.cluster, service };
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
