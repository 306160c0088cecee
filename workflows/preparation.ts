// Phase 0: everything the migration needs before the first instance or device moves.
import { patched } from '@temporalio/workflow';

import type { CreatedResource } from '../activities';
import { act } from './activity-presets';
import { enter, type MigrationMemory } from './migration-state';
import type { PhaseContext } from './phase-context';

/** Marks runs that read the bridge's counts before scaling it; earlier runs replay without. */
const READ_BRIDGE_FIRST = 'preparation-reads-bridge-first';

/** Marks runs that survey IoT Core before readying it; earlier runs replay without. */
const SURVEY_READINESS_FIRST = 'preparation-surveys-readiness-first';

/** Checks reachability, readies IoT Core, starts the bridge and proves it both ways. */
export async function runPreparation(ctx: PhaseContext): Promise<void> {
  const { plan, memory } = ctx;
  enter(memory, 'Preparation', 'Running');

  await act.checkReachability(plan);

  const readiness = { aws: plan.aws, iotCore: plan.iotCore };
  if (patched(SURVEY_READINESS_FIRST)) {
    // What is missing before anything is created is ours once ensuring ran, even when its answer
    // is lost (a killed worker): the retry finds the resource in place and reports nothing.
    // Remembered at once, so an abort while ensuring runs removes it too.
    // LIMITATION: a resource an operator creates by hand between the survey and ensuring (a
    // window of seconds) is taken for fleetshift's and removed if preparation is undone; runs
    // started before the survey existed still forget what a killed worker created.
    remember(memory, await act.surveyIotCoreReadiness(readiness));
    remember(memory, await act.ensureIotCoreReadiness(readiness));
  } else {
    memory.created.push(...(await act.ensureIotCoreReadiness(readiness)));
  }

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

/** Adds to what preparation created, once per kind and id (the survey and ensuring overlap). */
function remember(memory: MigrationMemory, resources: CreatedResource[]): void {
  for (const resource of resources) {
    const known = memory.created.some((c) => c.kind === resource.kind && c.id === resource.id);
    if (!known) memory.created.push(resource);
  }
}
