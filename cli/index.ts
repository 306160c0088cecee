export { buildProgram } from './main';
export { CliError, reportFailure } from './failure';
export { OperatorError, operatorErrors } from './operator-errors';
export type { OperatorErrorType } from './operator-errors';
export { RUNNING_MIGRATIONS_QUERY, queryStatus, resolveMigration } from './migration-target';
export type { MigrationTarget } from './migration-target';
export { phaseProgress, progressBar, WORKING_PHASES } from './phase-progress';
export type { PhaseProgress, WorkingPhase } from './phase-progress';
export { age, metricAgainstThreshold, renderStatus } from './render-status';
export type { StatusView } from './render-status';
export { historyEntries, renderHistory } from './render-history';
export type { HistoryEntry } from './render-history';
export { describeState, signalRefusal } from './signal-rules';
export type { OperatorSignal, SignalRefusal } from './signal-rules';
export { defaultOperator, sendOperatorSignal, signalCommands } from './signal-commands';
export { defaultMigrationId, startCommand, startMigration } from './start-command';
export { statusCommand } from './status-command';
export { historyCommand } from './history-command';
export { reportCommand, writeReport } from './report-command';
export {
  DEFAULT_TEMPORAL_ADDRESS,
  connectTemporal,
  resolveTemporalTarget,
  withTemporal,
  withTemporalFlags,
} from './temporal-connection';
export type { TemporalFlags, TemporalSession, TemporalTarget } from './temporal-connection';
