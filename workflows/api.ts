// The Temporal contract between the workflows, the operator CLI and anyone using the Temporal UI.
// Keep it stable: running migrations and other developers' code depend on these names and shapes.
import { defineQuery, defineSignal } from '@temporalio/workflow';

/** The task queue every fleetshift worker polls. */
export const TASK_QUEUE = 'fleetshift';

/** The Temporal namespace fleetshift uses unless told otherwise. */
export const DEFAULT_NAMESPACE = 'default';

/** The workflow type an operator starts, with the migration plan as its only argument. */
export const MIGRATION_WORKFLOW_TYPE = 'fleetMigration';

/** Who sent a signal and why; every signal carries both and both end up in the status. */
export interface OperatorSignalArgs {
  by: string;
  reason: string;
}

/**
 * Approves the gate being waited on. With `gate`, approves only that gate (it may be a gate
 * not reached yet: the approval is remembered until the migration gets there).
 */
export interface ApproveSignalArgs extends OperatorSignalArgs {
  gate?: string;
}

/** Stops the migration: the current phase is undone and the run ends `Aborted`. */
export type AbortSignalArgs = OperatorSignalArgs;

/** Holds the migration before its next step; analysis keeps running and can still roll back. */
export type PauseSignalArgs = OperatorSignalArgs;

/** Lets a paused migration go on, or retries after a rollback waits for an operator. */
export type ResumeSignalArgs = OperatorSignalArgs;

export const approveSignal = defineSignal<[ApproveSignalArgs]>('approve');
export const abortSignal = defineSignal<[AbortSignalArgs]>('abort');
export const pauseSignal = defineSignal<[PauseSignalArgs]>('pause');
export const resumeSignal = defineSignal<[ResumeSignalArgs]>('resume');

/** The phases, in order, plus the terminal ones. */
export type MigrationPhase =
  | 'Pending'
  | 'Preparation'
  | 'Backends'
  | 'Devices'
  | 'Cleanup'
  | 'Succeeded'
  | 'Aborted'
  | 'Failed';

/** What the migration is doing inside its phase. */
export type MigrationState =
  | 'Running'
  | 'Soaking'
  | 'WaitingForApproval'
  | 'Paused'
  | 'RollingBack'
  /** After a rollback: `resume` retries, `abort` stops. */
  | 'WaitingForOperator'
  | 'Succeeded'
  | 'Aborted'
  | 'Failed';

/** The step the migration is at. Weights are percent of devices sent to IoT Core. */
export interface StepStatus {
  /** Zero-based index into the phase's steps. */
  index: number;
  count: number;
  /** For the devices phase: the IoT Core weight this step sets, in percent. */
  iotCorePercent?: number;
}

/** A gate the migration waits at, and since when (ISO 8601, workflow time). */
export interface GateStatus {
  gate: string;
  since: string;
}

/** Both weighted DNS records, as last set by the migration. */
export interface DnsWeights {
  legacy: number;
  iotCore: number;
}

/** Outcome of one backend service's migration. */
export type ServiceState = 'Pending' | 'Running' | 'Succeeded' | 'RollingBack' | 'RolledBack';

/** Progress of one backend service. legacyCount + migratedCount equals originalCount. */
export interface ServiceProgress {
  name: string;
  state: ServiceState;
  originalCount: number;
  legacyCount: number;
  migratedCount: number;
}

/** Outcome of one metric, or of a whole analysis run. */
export type AnalysisOutcome = 'Pass' | 'Breach' | 'Error' | 'NoData';

/** One metric of an analysis run: its value against its threshold. */
export interface MetricResult {
  name: string;
  /** Null when CloudWatch returned no data point in the window. */
  value: number | null;
  threshold: number;
  /** 'above' means a value above the threshold is a breach; 'below' the other way round. */
  breachWhen: 'above' | 'below';
  outcome: AnalysisOutcome;
  message?: string;
}

/** One analysis run during a soak, and the running counts against the plan's limits. */
export interface AnalysisStatus {
  at: string;
  outcome: AnalysisOutcome;
  metrics: MetricResult[];
  /** Breaches counted in this soak so far. */
  failures: number;
  /** Errors counted in this soak so far. */
  errors: number;
  failureLimit: number;
  errorLimit: number;
}

/** Why something was decided. Each kind has one message template in workflows/decisions.ts. */
export type DecisionKind =
  | 'Approved'
  | 'ApprovalRemembered'
  | 'Paused'
  | 'Resumed'
  | 'AbortRequested'
  | 'AnalysisBreach'
  | 'AnalysisError'
  | 'AnalysisNoData'
  | 'RolledBack'
  | 'PhaseFailed'
  | 'SignalIgnored';

/** A decision by an operator or by the analysis, with the numbers behind it. */
export interface Decision {
  at: string;
  kind: DecisionKind;
  by: string;
  reason: string;
  phase: MigrationPhase;
  numbers?: Record<string, number>;
}

/** A rollback: what was walked back, from where to where, and why. */
export interface RollbackRecord {
  at: string;
  phase: MigrationPhase;
  by: string;
  reason: string;
  /** IoT Core weight (devices) or migrated instances (backends) before the rollback. */
  from: number;
  to: number;
  numbers?: Record<string, number>;
}

/** What the `status` query returns: plain JSON for the CLI and for people in the Temporal UI. */
export interface MigrationStatus {
  plan: string;
  phase: MigrationPhase;
  state: MigrationState;
  step: StepStatus | null;
  waitingGate: GateStatus | null;
  dnsWeights: DnsWeights;
  services: ServiceProgress[];
  lastAnalysis: AnalysisStatus | null;
  decisions: Decision[];
  rollbacks: RollbackRecord[];
  /** Set when the run ended Aborted or Failed. */
  endReason: string | null;
  startedAt: string;
  updatedAt: string;
}

export const statusQuery = defineQuery<MigrationStatus>('status');
