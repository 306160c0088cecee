// Phase 1: one child workflow per backend service, a capped number at a time.
// LIMITATION: the parent's status shows each service's counts when its child starts and ends;
// the counts in between are on the child's own `serviceProgress` query, because reporting every
// step to the parent would cost parent history events for every instance of every service.
import { condition, executeChild, patched, workflowInfo } from '@temporalio/workflow';

import type { BridgeCapacityInput } from '../activities';
import type { BackendServicePlan, MigrationPlan } from '../plan';
import { act } from './activity-presets';
import type { ServiceProgress } from './api';
import {
  BRIDGE_FROM_ECS,
  backendServiceMigration,
  type BackendServiceInput,
} from './backend-service';
import { enter } from './migration-state';
import type { PhaseContext } from './phase-context';

/** Moves every service, at most `maxParallelServices` at once, holding new ones while paused. */
export async function runBackends(ctx: PhaseContext): Promise<void> {
  enter(ctx.memory, 'Backends', 'Running');
  const pending = ctx.plan.backends.services.filter(
    (s) => statusOf(ctx, s.name).state !== 'Succeeded',
  );
  await inParallel(ctx, pending, async (service) => {
    // Pause holds services not started yet; running ones finish their current service.
    await condition(() => !ctx.memory.paused);
    statusOf(ctx, service.name).state = 'Running';
    const result = await runChild(ctx, service, 'forward');
    Object.assign(statusOf(ctx, service.name), result);
    updateStep(ctx);
  });
  await settleBridge(ctx);
}

/** Walks every service that moved at all back to its legacy instances. */
export async function undoBackends(ctx: PhaseContext): Promise<void> {
  const touched = ctx.plan.backends.services.filter(
    (s) => !['Pending', 'RolledBack'].includes(statusOf(ctx, s.name).state),
  );
  await inParallel(ctx, touched, async (service) => {
    statusOf(ctx, service.name).state = 'RollingBack';
    const result = await runChild(ctx, service, 'rollback');
    Object.assign(statusOf(ctx, service.name), result);
  });
  await settleBridge(ctx);
}

/**
 * Sizes the bridge once more now that no service moves: two services stepping at once may each
 * have read the other's count just before it changed, and the later of those reads would stand.
 */
async function settleBridge(ctx: PhaseContext): Promise<void> {
  if (ctx.plan.bridge.instancesPerMigratedInstance === 0 || !patched(BRIDGE_FROM_ECS)) return;
  await act.setBridgeCapacity(bridgeCapacity(ctx.plan));
}

/** The bridge sized for the migrated instances of every backend service. */
function bridgeCapacity(plan: MigrationPlan): Omit<BridgeCapacityInput, 'growing'> {
  const { bridge, backends } = plan;
  return {
    aws: plan.aws,
    bridge: { cluster: bridge.cluster, service: bridge.deviceToBackend.service },
    baseInstances: bridge.deviceToBackend.instances,
    perMigratedInstance: bridge.instancesPerMigratedInstance,
    maxInstances: bridge.maxInstances,
    migrated: {
      cluster: backends.cluster,
      services: backends.services.map((s) => s.migratedService),
    },
  };
}

async function runChild(
  ctx: PhaseContext,
  service: BackendServicePlan,
  mode: BackendServiceInput['mode'],
): Promise<ServiceProgress> {
  const { plan, memory } = ctx;
  const input: BackendServiceInput = {
    mode,
    aws: plan.aws,
    cluster: plan.backends.cluster,
    service,
    bridge: {
      cluster: plan.bridge.cluster,
      service: plan.bridge.deviceToBackend.service,
      perMigratedInstance: plan.bridge.instancesPerMigratedInstance,
      maxInstances: plan.bridge.maxInstances,
    },
    bridgeCapacity: bridgeCapacity(plan),
    stableTimeoutSeconds: 600,
  };
  // A stable id per service, mode and attempt: a restarted worker finds the same child.
  const workflowId = `${workflowInfo().workflowId}/${service.name}/${mode}-${memory.attempts}`;
  return executeChild(backendServiceMigration, { args: [input], workflowId });
}

/** Runs `work` for each item with at most the plan's cap in flight. */
async function inParallel<T>(
  ctx: PhaseContext,
  items: T[],
  work: (item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  const lanes = Math.min(ctx.plan.backends.maxParallelServices, queue.length);
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
        await work(item);
      }
    }),
  );
}

function statusOf(ctx: PhaseContext, name: string): ServiceProgress {
  const found = ctx.memory.status.services.find((s) => s.name === name);
  if (!found) throw new Error(`no status for service ${name}`);
  return found;
}

function updateStep(ctx: PhaseContext): void {
  const services = ctx.memory.status.services;
  const done = services.filter((s) => s.state === 'Succeeded').length;
  ctx.memory.status.step = { index: done, count: services.length };
}
