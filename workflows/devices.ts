// Phase 2: devices move by DNS weight, step by step, with soaks, gates and rollbacks.
import { continueAsNew, sleep } from '@temporalio/workflow';

import { buildSchedule } from '../plan/schedule';
import { act } from './activity-presets';
import { watch } from './analysis-watch';
import type { MigrationStatus } from './api';
import { enter, recordRollback, type MigrationMemory } from './migration-state';
import { historyIsLong, type PhaseContext } from './phase-context';

/** Carried into a continued run of the main workflow. */
export interface ContinuedMigration {
  memory: MigrationMemory;
  phase: MigrationStatus['phase'];
}

/**
 * Walks the DNS steps. After a rollback it waits for an operator: `resume` goes on from the
 * weight it rolled back to, `abort` stops (the caller then undoes the phase).
 */
export async function runDevices(ctx: PhaseContext): Promise<void> {
  enter(ctx.memory, 'Devices', 'Running');
  while ((await advanceSteps(ctx)) === 'RolledBack') {
    // LIMITATION: while waiting for an operator after a rollback, analysis does not run, so a
    // second breach at the rolled-back weight is not acted on until the operator resumes.
    enter(ctx.memory, 'Devices', 'WaitingForOperator');
    await ctx.operator.waitForOperator();
    enter(ctx.memory, 'Devices', 'Running');
  }
}

/** Weights back to 0 percent on IoT Core, paced: what an abort of this phase does. */
export async function undoDevices(ctx: PhaseContext): Promise<void> {
  const from = ctx.memory.status.dnsWeights.iotCore;
  if (from === 0) return;
  await pacedRollback(ctx, 0);
  const abort = ctx.operator.abortRequest;
  recordRollback(ctx.memory, {
    phase: 'Devices',
    by: abort?.by ?? 'fleetshift',
    reason: abort?.reason ?? 'devices phase undone',
    from,
    to: 0,
  });
  ctx.memory.devices = { nextStep: 0, lastHealthyStep: -1 };
}

async function advanceSteps(ctx: PhaseContext): Promise<'Done' | 'RolledBack'> {
  const { memory, plan } = ctx;
  const steps = buildSchedule(plan).devices;
  while (memory.devices.nextStep < steps.length) {
    const index = memory.devices.nextStep;
    const step = steps[index];
    memory.status.step = { index, count: steps.length, iotCorePercent: step.iotCorePercent };

    // Hold before the step while paused, still watching the current weight.
    if (memory.paused) {
      enter(memory, 'Devices', 'Paused');
      if ((await watch(ctx, { until: () => !memory.paused })) === 'RollBack') return rollBack(ctx);
    }

    if (step.gate) {
      const gate = step.gate;
      if (!ctx.operator.takeApproval(gate)) {
        memory.status.waitingGate = { gate, since: new Date().toISOString() };
        enter(memory, 'Devices', 'WaitingForApproval');
        const end = await watch(ctx, { until: () => memory.approvals.includes(gate) });
        memory.status.waitingGate = null;
        if (end === 'RollBack') return rollBack(ctx);
        ctx.operator.takeApproval(gate);
      }
    }

    enter(memory, 'Devices', 'Soaking');
    await setWeights(ctx, step.iotCorePercent);
    if ((await watch(ctx, { soakSeconds: step.soakSeconds })) === 'RollBack') return rollBack(ctx);

    memory.devices = { nextStep: index + 1, lastHealthyStep: index };
    enter(memory, 'Devices', 'Running');
    // LIMITATION: the hand-over to a fresh run happens between steps only; a single soak with
    // thousands of analysis runs (a very long soak on a short interval) could still grow large.
    if (historyIsLong()) {
      await continueAsNew<
        (plan: unknown, carried?: ContinuedMigration) => Promise<MigrationStatus>
      >(plan, { memory, phase: 'Devices' });
    }
  }
  return 'Done';
}

/** Rolls the weights back per the plan and records why, with the numbers. */
async function rollBack(ctx: PhaseContext): Promise<'RolledBack'> {
  const { memory, plan } = ctx;
  const steps = plan.dns.stepsPercent;
  const from = memory.status.dnsWeights.iotCore;
  // The step below the breaching weight is the last one that soaked clean.
  const below = steps.filter((p) => p < from);
  const to = plan.dns.rollback.to === 'zero' || below.length === 0 ? 0 : below[below.length - 1];
  const analysis = memory.status.lastAnalysis;

  enter(memory, 'Devices', 'RollingBack');
  await pacedRollback(ctx, to);

  recordRollback(memory, {
    phase: 'Devices',
    by: 'analysis',
    reason: `analysis ${analysis?.outcome ?? 'breach'} at ${from}%`,
    from,
    to,
    numbers: {
      failures: analysis?.failures ?? 0,
      failureLimit: plan.analysis.failureLimit,
      errors: analysis?.errors ?? 0,
      errorLimit: plan.analysis.errorLimit,
      ...Object.fromEntries(
        (analysis?.metrics ?? []).flatMap((m) => (m.value === null ? [] : [[m.name, m.value]])),
      ),
    },
  });
  const nextStep = steps.findIndex((p) => p > to);
  memory.devices = { nextStep, lastHealthyStep: nextStep - 1 };
  memory.status.step = null;
  return 'RolledBack';
}

/** Lowers the IoT Core weight to `to` in steps of at most the plan's size, pausing between. */
async function pacedRollback(ctx: PhaseContext, to: number): Promise<void> {
  const { rollback } = ctx.plan.dns;
  let weight = ctx.memory.status.dnsWeights.iotCore;
  while (weight > to) {
    weight = Math.max(to, weight - rollback.maxStepPercent);
    await setWeights(ctx, weight);
    // Let returning devices reconnect before the next wave is sent back.
    if (weight > to && rollback.stepPauseSeconds > 0) await sleep(rollback.stepPauseSeconds * 1000);
  }
}

/** Sets both records in one change, waits until in sync, and starts a fresh soak count. */
async function setWeights(ctx: PhaseContext, iotCorePercent: number): Promise<void> {
  const { plan, memory } = ctx;
  const weights = { legacy: 100 - iotCorePercent, iotCore: iotCorePercent };
  const changeId = await act.setDnsWeights({ aws: plan.aws, dns: plan.dns, weights });
  await act.waitForDnsSync({ aws: plan.aws, changeId, timeoutSeconds: 300 });
  memory.status.dnsWeights = weights;
  memory.soak = { failures: 0, errors: 0, elapsedSeconds: 0 };
}
