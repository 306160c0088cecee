import { type WorkflowExecutionStatusName } from '@temporalio/client';

import { type MigrationState, type MigrationStatus } from '../workflows/api';

/** The operator signals of the fleetMigration contract. */
export type OperatorSignal = 'approve' | 'abort' | 'pause' | 'resume';

const ENDED_STATES: ReadonlySet<MigrationState> = new Set(['Succeeded', 'Aborted', 'Failed']);

/** Why a signal makes no sense now, and the state to name in the refusal. */
export interface SignalRefusal {
  state: string;
  why: string;
}

/**
 * Decides, before sending, whether a signal can have an effect in the migration's current
 * state. Signals are fire-and-forget in Temporal, so without this check a mistaken `approve`
 * would vanish silently; refusing here tells the operator the state instead.
 * `status` is null when the status query could not be answered (no worker): the signal is then
 * allowed, because Temporal keeps it in the history until a worker processes it.
 */
export function signalRefusal(
  signal: OperatorSignal,
  execution: WorkflowExecutionStatusName,
  status: MigrationStatus | null,
  gate?: string,
): SignalRefusal | null {
  if (execution !== 'RUNNING') {
    return {
      state: `ended (${execution.toLowerCase()})`,
      why: 'signals only reach running migrations',
    };
  }
  if (!status) return null;

  const state = describeState(status);
  if (ENDED_STATES.has(status.state)) {
    return { state, why: 'the migration has finished and takes no more signals' };
  }
  switch (signal) {
    case 'approve':
      if (gate !== undefined || status.state === 'WaitingForApproval') return null;
      return { state, why: 'no gate is waiting; pass --gate G to approve a later gate ahead' };
    case 'pause':
      if (status.state !== 'Paused') return null;
      return { state, why: 'it is already paused; use resume to go on' };
    case 'resume':
      if (status.state === 'Paused' || status.state === 'WaitingForOperator') return null;
      return { state, why: 'resume only applies when paused or waiting after a rollback' };
    case 'abort':
      return null;
  }
}

/** The state in words, for example "in phase Devices, WaitingForApproval at gate 'dns-25'". */
export function describeState(status: MigrationStatus): string {
  const gate = status.waitingGate ? ` at gate '${status.waitingGate.gate}'` : '';
  return `in phase ${status.phase}, ${status.state}${gate}`;
}
