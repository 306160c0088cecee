// The activities the worker registers. Workflows import these types only (proxyActivities).
import { setBridgeCapacity } from './bridge-capacity';
import { probeBridge } from './canary';
import {
  adjustServiceCount,
  describeServiceCounts,
  scaleService,
  waitForServiceStable,
} from './compute';
import { readDnsWeights, setDnsWeights, waitForDnsSync } from './dns';
import { evaluateAnalysis, sumMetric } from './metrics';
import { validatePlan } from './plan-validation';
import { checkReachability } from './reachability';
import { ensureIotCoreReadiness, removeIotCoreReadiness } from './readiness';
import { surveyIotCoreReadiness } from './readiness-survey';

/** Every activity of fleetshift, by the name Temporal knows it by. */
export const activities = {
  validatePlan,
  checkReachability,
  surveyIotCoreReadiness,
  ensureIotCoreReadiness,
  removeIotCoreReadiness,
  probeBridge,
  scaleService,
  adjustServiceCount,
  setBridgeCapacity,
  describeServiceCounts,
  waitForServiceStable,
  setDnsWeights,
  waitForDnsSync,
  readDnsWeights,
  evaluateAnalysis,
  sumMetric,
};

/** The activity interface, for proxyActivities and for fakes in tests. */
export type FleetActivities = typeof activities;

export { awsClients } from './aws-clients';
export type { AwsClients, AwsTarget } from './aws-clients';
export type { BridgeCapacityInput } from './bridge-capacity';
export type { CanaryDirection, CanaryResult } from './canary';
export type { ServiceCounts, ServiceRef } from './compute';
export type { WeightPair } from './dns';
export type { ActivityFailureType } from './errors';
export { evaluateExpression } from './metric-math';
export type { Series } from './metric-math';
export type { AnalysisRun } from './metrics';
export { worstOutcome } from './metrics';
export type { Reachability } from './reachability';
export type { CreatedResource } from './readiness';
export {
  adjustServiceCount,
  checkReachability,
  describeServiceCounts,
  ensureIotCoreReadiness,
  evaluateAnalysis,
  probeBridge,
  readDnsWeights,
  removeIotCoreReadiness,
  scaleService,
  setBridgeCapacity,
  setDnsWeights,
  sumMetric,
  surveyIotCoreReadiness,
  validatePlan,
  waitForDnsSync,
  waitForServiceStable,
};
