// Child workflow: one backend service moved from the legacy broker to IoT Core, or walked back.
// Counts are read from ECS at the start of each run, so a retried or continued run resumes
// where the service really is rather than where a previous run believed it was.
import { continueAsNew, defineQuery, log, patched, setHandler, sleep } from '@temporalio/workflow';

import type { AwsTarget, BridgeCapacityInput } from '../activities';
import type { BackendServicePlan } from '../plan';
import type { ServiceProgress } from './api';
import { act } from './activity-presets';
import { historyIsLong } from './phase-context';

/** Input of {@link backendServiceMigration}. */
export interface BackendServiceInput {
  mode: 'forward' | 'rollback';
  aws: AwsTarget;
  cluster: string;
  service: BackendServicePlan;
  bridge: { cluster: string; service: string; perMigratedInstance: number; maxInstances: number };
  /** How the bridge is sized from ECS; absent in runs started before it was (see below). */
  bridgeCapacity?: Omit<BridgeCapacityInput, 'growing'>;
  stableTimeoutSeconds: number;
}

/**
 * Marks runs that size the bridge with setBridgeCapacity. Runs recorded before added deltas
 * with adjustServiceCount, which a retry could apply twice, and must replay that way.
 */
export const BRIDGE_FROM_ECS = 'bridge-capacity-from-ecs';

/** Live counts of this one service (the parent's status shows them at start and end only). */
export const serviceProgressQuery = defineQuery<ServiceProgress>('serviceProgress');

/** Moves a service step by step (`forward`) or walks it back (`rollback`). */
export async function backendServiceMigration(
  input: BackendServiceInput,
): Promise<ServiceProgress> {
  const { service } = input;
  const progress: ServiceProgress = {
    name: service.name,
    state: input.mode === 'forward' ? 'Running' : 'RollingBack',
    originalCount: service.instances,
    legacyCount: service.instances,
    migratedCount: 0,
  };
  setHandler(serviceProgressQuery, () => progress);

  const legacy = { aws: input.aws, cluster: input.cluster, service: service.legacyService };
  const migrated = { aws: input.aws, cluster: input.cluster, service: service.migratedService };
  progress.legacyCount = (await act.describeServiceCounts(legacy)).desired;
  progress.migratedCount = (await act.describeServiceCounts(migrated)).desired;

  const total = service.instances;
  const scaleTo = async (ref: typeof legacy, count: number): Promise<void> => {
    await act.scaleService({ ...ref, desiredCount: count });
    await act.waitForServiceStable({
      ...ref,
      desiredCount: count,
      timeoutSeconds: input.stableTimeoutSeconds,
    });
  };

  if (input.mode === 'forward') {
    while (progress.migratedCount < total) {
      if (historyIsLong(2500)) await continueAsNew<typeof backendServiceMigration>(input);
      const target = Math.min(total, progress.migratedCount + service.batchSize);

      await resizeBridge(input, progress.migratedCount, target);

      await scaleTo(migrated, target);
      progress.migratedCount = target;

      // LIMITATION: verifying a step means a settle pause plus ECS reporting the new instances
      // running; it does not yet read the migrated service's traffic from CloudWatch.
      if (service.verifySeconds > 0) await sleep(service.verifySeconds * 1000);

      // Never below total - migrated: legacy + migrated stays at the original count.
      await scaleTo(legacy, Math.min(progress.legacyCount, total - target));
      progress.legacyCount = Math.min(progress.legacyCount, total - target);
      log.info('service step done', { service: service.name, migrated: target, of: total });
    }
    progress.state = 'Succeeded';
    return progress;
  }

  while (progress.migratedCount > 0 || progress.legacyCount < total) {
    if (historyIsLong(2500)) await continueAsNew<typeof backendServiceMigration>(input);
    const target = Math.max(0, progress.migratedCount - service.batchSize);

    // Legacy first, so capacity never dips below the original count.
    const legacyTarget = Math.max(progress.legacyCount, total - target);
    await scaleTo(legacy, legacyTarget);
    progress.legacyCount = legacyTarget;

    await scaleTo(migrated, target);
    await resizeBridge(input, progress.migratedCount, target);
    progress.migratedCount = target;
  }
  progress.state = 'RolledBack';
  return progress;
}

/** Resizes the device-to-backend bridge for this service going from `from` to `to` migrated. */
async function resizeBridge(input: BackendServiceInput, from: number, to: number): Promise<void> {
  const rate = input.bridge.perMigratedInstance;
  const delta = Math.ceil(rate * to) - Math.ceil(rate * from);
  if (delta === 0) return;
  if (input.bridgeCapacity && patched(BRIDGE_FROM_ECS)) {
    const growing = { service: input.service.migratedService, count: to };
    await act.setBridgeCapacity({ ...input.bridgeCapacity, ...(delta > 0 ? { growing } : {}) });
    return;
  }
  await act.adjustServiceCount({
    aws: input.aws,
    cluster: input.bridge.cluster,
    service: input.bridge.service,
    delta,
    max: input.bridge.maxInstances,
  });
}
