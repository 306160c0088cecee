// Phase 0: everything the migration needs before the first instance or device moves.
import { patched } from '@temporalio/workflow';

import { act } from './activity-presets';
import { enter } from './migration-state';
import type { PhaseContext } from './phase-context';

/** Marks runs that read the bridge's counts before scaling it; earlier runs replay without. */
const READ_BRIDGE_FIRST = 'preparation-reads-bridge-first';

/** Checks reachability, readies IoT Core, starts the bridge and proves it both ways. */
export async function runPreparation(ctx: PhaseContext): Promise<void> {
  const { plan, memory } = ctx;
  enter(memory, 'Preparation', 'Running');

  await act.checkReachability(plan);

  const created = await act.ensureIotCoreReadiness({ aws: plan.aws, iotCore: plan.iotCore });
  memory.created.push(...created);

  const cluster = plan.bridge.cluster;
  const d2b = { aws: plan.aws, cluster, service: plan.bridge.deviceToBackend.service };
  const b2d = { aws: plan.aws, cluster, service: plan.bridge.backendToDevice.service };
  // Read the counts before scaling: when ECS applied a scale and the answer was lost (a killed
  // worker), the retry reports the new count as the count before.
  if (!memory.bridgeBefore && patched(READ_BRIDGE_FIRST)) {
    memory.bridgeBefore = {
      deviceToBackend: (await act.describeServiceCounts(d2b)).desired,
      backendToDevice: (await act.describeServiceCounts(b2d)).desired,
    };
  }
  const before = {
    deviceToBackend: await act.scaleService({
      ...d2b,
      desiredCount: plan.bridge.deviceToBackend.instances,
    }),
    backendToDevice: await act.scaleService({
      ...b2d,
      desiredCount: plan.bridge.backendToDevice.instances,
    }),
  };
  // Keep the counts from before the first attempt: a retried phase must not forget them.
  memory.bridgeBefore ??= before;
  await act.waitForServiceStable({
    ...d2b,
    desiredCount: plan.bridge.deviceToBackend.instances,
    timeoutSeconds: 300,
  });
  await act.waitForServiceStable({
    ...b2d,
    desiredCount: plan.bridge.backendToDevice.instances,
    timeoutSeconds: 300,
  });

  if (plan.canary.enabled) {
    await act.probeBridge({
      brokers: plan.brokers,
      canary: plan.canary,
      direction: 'device-to-backend',
    });
    await act.probeBridge({
      brokers: plan.brokers,
      canary: plan.canary,
      direction: 'backend-to-device',
    });
  }
}

/** Stops the bridge (back to its counts before) and removes what preparation created. */
export async function undoPreparation(ctx: PhaseContext): Promise<void> {
  const { plan, memory } = ctx;
  const cluster = plan.bridge.cluster;
  if (memory.bridgeBefore) {
    await act.scaleService({
      aws: plan.aws,
      cluster,
      service: plan.bridge.deviceToBackend.service,
      desiredCount: memory.bridgeBefore.deviceToBackend,
    });
    await act.scaleService({
      aws: plan.aws,
      cluster,
      service: plan.bridge.backendToDevice.service,
      desiredCount: memory.bridgeBefore.backendToDevice,
    });
    memory.bridgeBefore = null;
  }

  await act.removeIotCoreReadiness({ aws: plan.aws, created: memory.created });
  memory.created = [];
}
