// A stand-in for fleetMigration that speaks the Temporal contract of workflows/api.ts exactly
// (the approve, abort, pause and resume signals and the status query) with a fixed two-gate
// script and no activities. The operator tests use it on their own task queue so that the CLI
// and the Temporal UI path are tested against a real server and a real worker.
// LIMITATION: this is not the real migration workflow; once workflows/ exports fleetMigration,
// the operator end-to-end test should run that one with a tiny plan instead.
import { condition, setHandler, workflowInfo } from '@temporalio/workflow';

import {
  abortSignal,
  approveSignal,
  type Decision,
  type MigrationStatus,
  pauseSignal,
  resumeSignal,
  statusQuery,
} from '../../../workflows/api';

/** The gates the stand-in waits at, in order. */
export const STAND_IN_GATES = ['preparation-done', 'devices-1'] as const;

/** Waits at each gate for an approval, then succeeds; an abort ends it Aborted. */
export async function fleetMigration(plan: { name?: string }): Promise<MigrationStatus> {
  const now = (): string => new Date().toISOString();
  const status: MigrationStatus = {
    plan: plan.name ?? 'migration',
    phase: 'Preparation',
    state: 'Running',
    step: { index: 0, count: STAND_IN_GATES.length },
    waitingGate: null,
    dnsWeights: { legacy: 100, iotCore: 0 },
    services: [],
    lastAnalysis: null,
    decisions: [],
    rollbacks: [],
    endReason: null,
    startedAt: workflowInfo().startTime.toISOString(),
    updatedAt: now(),
  };
  const record = (decision: Omit<Decision, 'at' | 'phase'>): void => {
    status.decisions.push({ ...decision, at: now(), phase: status.phase });
    status.updatedAt = now();
  };
  let approvedGate: string | undefined;
  let aborted = false;

  setHandler(statusQuery, () => status);
  setHandler(approveSignal, ({ by, reason, gate }) => {
    approvedGate = gate ?? status.waitingGate?.gate;
    record({ kind: 'Approved', by, reason });
  });
  setHandler(abortSignal, ({ by, reason }) => {
    aborted = true;
    record({ kind: 'AbortRequested', by, reason });
  });
  setHandler(pauseSignal, ({ by, reason }) => record({ kind: 'Paused', by, reason }));
  setHandler(resumeSignal, ({ by, reason }) => record({ kind: 'Resumed', by, reason }));

  for (const [index, gate] of STAND_IN_GATES.entries()) {
    status.step = { index, count: STAND_IN_GATES.length };
    status.state = 'WaitingForApproval';
    status.waitingGate = { gate, since: now() };
    status.updatedAt = now();
    await condition(() => aborted || approvedGate === gate);
    if (aborted) {
      Object.assign(status, { phase: 'Aborted', state: 'Aborted', waitingGate: null });
      status.endReason = status.decisions[status.decisions.length - 1]?.reason ?? 'aborted';
      return status;
    }
    status.waitingGate = null;
    status.state = 'Running';
    status.phase = 'Devices';
    status.dnsWeights = { legacy: 99, iotCore: 1 };
  }
  Object.assign(status, { phase: 'Succeeded', state: 'Succeeded', updatedAt: now() });
  return status;
}
