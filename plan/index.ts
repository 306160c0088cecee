export { crossFieldProblems } from './checks';
export type { PlanProblem } from './checks';
export { PlanError } from './errors';
export { readPlanFile } from './load';
export { formatProblems, parsePlan } from './parse';
export type { PlanParseResult } from './parse';
export {
  buildSchedule,
  formatDuration,
  formatSchedule,
  gateName,
  serviceBatches,
} from './schedule';
export type { DeviceStep, Schedule } from './schedule';
export { migrationPlanSchema } from './schema';
export type {
  AnalysisMetricPlan,
  AnalysisPlan,
  BackendServicePlan,
  DnsPlan,
  MetricStatPlan,
  MigrationPlan,
  MigrationPlanInput,
} from './schema';
