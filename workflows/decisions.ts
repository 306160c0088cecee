// One message template per decision kind, so the status and the log say the same thing.
import type { DecisionKind } from './api';

/** Why the migration did what it did, as a person reads it. */
export const DECISION_MESSAGES: Record<DecisionKind, string> = {
  Approved: 'gate approved',
  ApprovalRemembered: 'approval kept for a gate not reached yet',
  Paused: 'paused by operator',
  Resumed: 'resumed by operator',
  AbortRequested: 'abort requested',
  AnalysisBreach: 'analysis breached the failure limit',
  AnalysisError: 'analysis errors exceeded the error limit',
  AnalysisNoData: 'analysis found no data',
  RolledBack: 'rolled back',
  PhaseFailed: 'phase failed and was undone',
  SignalIgnored: 'signal ignored',
};
