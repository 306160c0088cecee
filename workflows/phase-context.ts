import { workflowInfo } from '@temporalio/workflow';

import type { MigrationPlan } from '../plan';
import type { MigrationMemory } from './migration-state';
import type { Operator } from './operator';

/** What every phase works with. */
export interface PhaseContext {
  plan: MigrationPlan;
  memory: MigrationMemory;
  operator: Operator;
}

/** History length past which a run hands over to a fresh one (Temporal's hard limit is 51,200). */
export const HISTORY_HANDOVER_EVENTS = 6000;

/** True when this run's history is long enough to continue as new at the next safe point. */
export function historyIsLong(limit = HISTORY_HANDOVER_EVENTS): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || info.historyLength > limit;
}
