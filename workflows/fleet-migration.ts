// The workflow an operator starts: preparation, backends, devices, cleanup, each undone if
// aborted, each retried on `resume` after it failed and was undone.
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  workflowInfo,
} from '@temporalio/workflow';

import type { MigrationPlan } from '../plan';
import { act } from './activity-presets';
import type { MigrationStatus } from './api';
import { runBackends, undoBackends } from './backends';
import { runCleanup, undoCleanup } from './cleanup';
import { runDevices, undoDevices, type ContinuedMigration } from './devices';
import { decide, enter, newMemory, nowIso, type MigrationMemory } from './migration-state';
import { Operator } from './operator';
import type { PhaseContext } from './phase-context';
import { runPreparation, undoPreparation } from './preparation';

type WorkingPhase = 'Preparation' | 'Backends' | 'Devices' | 'Cleanup';

const PHASES: Record<
  WorkingPhase,
  { run: (ctx: PhaseContext) => Promise<void>; undo: (ctx: PhaseContext) => Promise<void> }
> = {
  Preparation: { run: runPreparation, undo: undoPreparation },
  Backends: { run: runBackends, undo: undoBackends },
  Devices: { run: runDevices, undo: undoDevices },
  Cleanup: { run: runCleanup, undo: undoCleanup },
};
const ORDER: WorkingPhase[] = ['Preparation', 'Backends', 'Devices', 'Cleanup'];

/**
 * Migrates the fleet per `plan` (validated by an activity, so a plan typed into the Temporal UI
 * gets the same messages as `fleetshift plan check`). `carried` is set only by continue-as-new.
 */
export async function fleetMigration(
  plan: unknown,
  carried?: ContinuedMigration,
): Promise<MigrationStatus> {
  let memory: MigrationMemory = carried?.memory ?? newMemory(planName(plan), [], nowIso());
  // Handlers first, before any await, so signals sent before the first task are not lost.
  const operator = new Operator(() => memory);

  let valid: MigrationPlan;
  try {
    valid = await act.validatePlan(plan);
  } catch (err) {
    const cause = err instanceof ActivityFailure ? err.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.type === 'InvalidPlan') {
      return finish(memory, 'Failed', `plan refused: ${cause.message}`);
    }
    throw err;
  }
  if (!carried) {
    const fresh = newMemory(valid.name, valid.backends.services, memory.status.startedAt);
    fresh.status.decisions = memory.status.decisions;
    fresh.approvals = memory.approvals;
    fresh.paused = memory.paused;
    memory = fresh;
  }
  const ctx: PhaseContext = { plan: valid, memory, operator };
  log.info('migration started', { plan: valid.name, workflowId: workflowInfo().workflowId });

  let index = carried ? ORDER.indexOf(carried.phase as WorkingPhase) : 0;
  while (index < ORDER.length) {
    const phase = ORDER[index];
    const outcome = await runPhase(ctx, phase);
    if (outcome === 'Aborted') {
      return finish(memory, 'Aborted', operator.abortRequest?.reason ?? 'aborted');
    }
    if (outcome === 'Done') index += 1;
  }
  return finish(memory, 'Succeeded', null);
}

/** Runs a phase; on abort undoes it; on failure undoes it and waits for the operator. */
async function runPhase(
  ctx: PhaseContext,
  phase: WorkingPhase,
): Promise<'Done' | 'Retry' | 'Aborted'> {
  const { memory, operator } = ctx;
  try {
    await operator.abortable(() => PHASES[phase].run(ctx));
    return 'Done';
  } catch (err) {
    if (operator.wasAborted(err)) {
      enter(memory, phase, 'RollingBack');
      await CancellationScope.nonCancellable(() => PHASES[phase].undo(ctx));
      return 'Aborted';
    }
    if (isCancellation(err)) throw err;
    // ContinueAsNew and other non-failures are not ours to handle.
    if (!(err instanceof Error) || err.name === 'ContinueAsNew') throw err;

    decide(memory, 'PhaseFailed', { by: 'fleetshift', reason: `${phase}: ${describe(err)}` });
    enter(memory, phase, 'RollingBack');
    await CancellationScope.nonCancellable(() => PHASES[phase].undo(ctx));
    enter(memory, phase, 'WaitingForOperator');
    try {
      await operator.waitForOperator();
    } catch (waitErr) {
      if (operator.wasAborted(waitErr)) return 'Aborted';
      throw waitErr;
    }
    memory.attempts += 1;
    return 'Retry';
  }
}

function finish(
  memory: MigrationMemory,
  state: 'Succeeded' | 'Aborted' | 'Failed',
  reason: string | null,
): MigrationStatus {
  // The terminal phase replaces the working one; the decisions say where the run was.
  memory.status.endReason = reason;
  memory.status.waitingGate = null;
  enter(memory, state, state);
  if (state !== 'Succeeded') log.warn('migration stopped', { state, reason });
  return memory.status;
}

/** The innermost message of a Temporal failure chain. */
function describe(err: Error): string {
  let current: Error = err;
  while (current.cause instanceof Error) current = current.cause;
  return current.message;
}

function planName(plan: unknown): string {
  const name = (plan as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : 'migration';
}
