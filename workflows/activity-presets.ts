// The activities as workflows see them, proxied with a few named retry presets. Timeouts are
// declared here, once, rather than at every call.
import { proxyActivities } from '@temporalio/workflow';

import type { FleetActivities } from '../activities';

/** Calls that return at once: retried for a while, never forever. */
const quick = proxyActivities<FleetActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 8 },
});

/** Waits that poll (ECS stable, DNS in sync): heartbeat so a dead worker is noticed fast. */
const waiting = proxyActivities<FleetActivities>({
  startToCloseTimeout: '15 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '5 seconds', backoffCoefficient: 2, maximumAttempts: 4 },
});

/** Canary probes and reachability: a few tries, then the phase fails. */
const probe = proxyActivities<FleetActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 3 },
});

/** Analysis runs count their own errors against the plan's limit, so one attempt each. */
const analysis = proxyActivities<FleetActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 1 },
});

/** The activities a workflow calls, each bound to its preset. */
export const act = {
  validatePlan: quick.validatePlan,
  checkReachability: probe.checkReachability,
  surveyIotCoreReadiness: quick.surveyIotCoreReadiness,
  ensureIotCoreReadiness: quick.ensureIotCoreReadiness,
  removeIotCoreReadiness: quick.removeIotCoreReadiness,
  probeBridge: probe.probeBridge,
  scaleService: quick.scaleService,
  adjustServiceCount: quick.adjustServiceCount,
  setBridgeCapacity: quick.setBridgeCapacity,
  describeServiceCounts: quick.describeServiceCounts,
  waitForServiceStable: waiting.waitForServiceStable,
  setDnsWeights: quick.setDnsWeights,
  waitForDnsSync: waiting.waitForDnsSync,
  evaluateAnalysis: analysis.evaluateAnalysis,
  sumMetric: quick.sumMetric,
};
