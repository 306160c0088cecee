// Fake activities for orchestration tests: they keep ECS counts and DNS weights in memory,
// record every call in order, and answer analysis from a script the test writes.
import type { AnalysisRun, CreatedResource, FleetActivities } from '../../../activities';
import { validatePlan } from '../../../activities/plan-validation';
import { parsePlan, type MigrationPlan, type MigrationPlanInput } from '../../../plan';

/** One recorded activity call. */
export interface Call {
  name: keyof FleetActivities;
  input: unknown;
}

/** The fake world: ECS desired counts, DNS weights, what was called. */
export interface FakeWorld {
  calls: Call[];
  desired: Map<string, number>;
  weights: { legacy: number; iotCore: number }[];
  /** Analysis answers, by run number (0-based); the last one repeats. */
  analysis: (run: number, iotCorePercent: number) => AnalysisRun;
  /** Legacy traffic answers for the cleanup, by check number. */
  legacyTraffic: (check: number) => number | null;
  /** Throw from an activity to simulate a failure a retry cannot fix. */
  failWith?: Partial<Record<keyof FleetActivities, () => Error>>;
  /** Runs after a scale took effect; throw to simulate ECS applying it and the answer lost. */
  afterScale?: (service: string, desiredCount: number) => void;
  /** Largest legacy + migrated seen per service after each step (checks the invariant). */
  maxTotals: Map<string, number>;
  minTotals: Map<string, number>;
  /** IoT Core readiness resources that do not exist yet; ensuring creates them. */
  readinessMissing: CreatedResource[];
  /** Runs after ensuring created what was missing; throw to simulate the answer lost. */
  afterEnsure?: () => void;
  readinessCreated: number;
  readinessRemoved: number;
}

/** A pass for every metric. */
export function pass(value = 0.99): AnalysisRun {
  return {
    outcome: 'Pass',
    metrics: [{ name: 'ratio', value, threshold: 0.95, breachWhen: 'below', outcome: 'Pass' }],
  };
}

/** A breach of the connect ratio. */
export function breach(value = 0.5): AnalysisRun {
  return {
    outcome: 'Breach',
    metrics: [{ name: 'ratio', value, threshold: 0.95, breachWhen: 'below', outcome: 'Breach' }],
  };
}

/** The given outcome with no value (Error or NoData). */
export function without(outcome: 'Error' | 'NoData'): AnalysisRun {
  return {
    outcome,
    metrics: [{ name: 'ratio', value: null, threshold: 0.95, breachWhen: 'below', outcome }],
  };
}

/** A valid plan for orchestration tests: small, fast, no canary unless asked. */
export function fakePlan(overrides: MigrationPlanInput = {}): MigrationPlan {
  const result = parsePlan({
    name: 'test-plan',
    canary: { enabled: true, timeoutSeconds: 5 },
    backends: {
      maxParallelServices: 2,
      services: [
        {
          name: 'telemetry',
          legacyService: 'telemetry-legacy',
          migratedService: 'telemetry-iot',
          instances: 3,
        },
        {
          name: 'commands',
          legacyService: 'commands-legacy',
          migratedService: 'commands-iot',
          instances: 2,
          batchSize: 2,
        },
      ],
    },
    dns: { stepsPercent: [10, 50, 100], soakSeconds: 300 },
    analysis: { intervalSeconds: 60, failureLimit: 0, errorLimit: 1, missingData: 'ignore' },
    cleanup: { zeroTrafficWindowSeconds: 0 },
    ...overrides,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.plan;
}

/** A fresh fake world whose legacy services run at the plan's counts. */
export function fakeWorld(plan: MigrationPlan): FakeWorld {
  const desired = new Map<string, number>();
  for (const s of plan.backends.services) {
    desired.set(s.legacyService, s.instances);
    desired.set(s.migratedService, 0);
  }
  desired.set(plan.bridge.deviceToBackend.service, 0);
  desired.set(plan.bridge.backendToDevice.service, 0);
  return {
    calls: [],
    desired,
    weights: [],
    analysis: () => pass(),
    legacyTraffic: () => 0,
    maxTotals: new Map(),
    minTotals: new Map(),
    readinessMissing: [{ kind: 'topic-rule', id: 'rule' }],
    readinessCreated: 0,
    readinessRemoved: 0,
  };
}

/** Activities that act on `world` instead of AWS and the brokers. */
export function fakeActivities(world: FakeWorld, plan: MigrationPlan): FleetActivities {
  let analysisRuns = 0;
  let trafficChecks = 0;
  const record = (name: keyof FleetActivities, input: unknown): void => {
    world.calls.push({ name, input });
    const failure = world.failWith?.[name];
    if (failure) throw failure();
  };
  const checkTotals = (): void => {
    for (const s of plan.backends.services) {
      const total =
        (world.desired.get(s.legacyService) ?? 0) + (world.desired.get(s.migratedService) ?? 0);
      world.maxTotals.set(s.name, Math.max(world.maxTotals.get(s.name) ?? 0, total));
      world.minTotals.set(s.name, Math.min(world.minTotals.get(s.name) ?? Infinity, total));
    }
  };
  return {
    async validatePlan(raw) {
      record('validatePlan', raw);
      return validatePlan(raw);
    },
    async checkReachability(input) {
      record('checkReachability', input);
      return { hostedZoneId: 'Z1', clusters: ['fleetshift'] };
    },
    async surveyIotCoreReadiness(input) {
      record('surveyIotCoreReadiness', input);
      return [...world.readinessMissing];
    },
    async ensureIotCoreReadiness(input) {
      record('ensureIotCoreReadiness', input);
      const created = world.readinessMissing;
      world.readinessMissing = [];
      world.readinessCreated += created.length;
      world.afterEnsure?.();
      return created;
    },
    async removeIotCoreReadiness(input) {
      record('removeIotCoreReadiness', input);
      world.readinessRemoved += input.created.length;
    },
    async probeBridge(input) {
      record('probeBridge', input);
      return { direction: input.direction, roundTripMs: 12, sent: 1 };
    },
    async scaleService(input) {
      record('scaleService', input);
      const before = world.desired.get(input.service) ?? 0;
      world.desired.set(input.service, input.desiredCount);
      checkTotals();
      world.afterScale?.(input.service, input.desiredCount);
      return before;
    },
    async adjustServiceCount(input) {
      record('adjustServiceCount', input);
      const next = Math.max(
        0,
        Math.min(input.max, (world.desired.get(input.service) ?? 0) + input.delta),
      );
      world.desired.set(input.service, next);
      return next;
    },
    async setBridgeCapacity(input) {
      record('setBridgeCapacity', input);
      let wanted = input.baseInstances;
      for (const service of input.migrated.services) {
        const grown = service === input.growing?.service ? input.growing.count : 0;
        const count = Math.max(world.desired.get(service) ?? 0, grown);
        wanted += Math.ceil(input.perMigratedInstance * count);
      }
      const target = Math.min(input.maxInstances, wanted);
      world.desired.set(input.bridge.service, target);
      return target;
    },
    async describeServiceCounts(input) {
      record('describeServiceCounts', input);
      const desired = world.desired.get(input.service) ?? 0;
      return { desired, running: desired };
    },
    async waitForServiceStable(input) {
      record('waitForServiceStable', input);
      return { desired: input.desiredCount, running: input.desiredCount };
    },
    async setDnsWeights(input) {
      record('setDnsWeights', input);
      world.weights.push(input.weights);
      return `change-${world.weights.length}`;
    },
    async waitForDnsSync(input) {
      record('waitForDnsSync', input);
    },
    async readDnsWeights(input) {
      record('readDnsWeights', input);
      return world.weights[world.weights.length - 1] ?? { legacy: 100, iotCore: 0 };
    },
    async evaluateAnalysis(input) {
      record('evaluateAnalysis', input);
      const weight = world.weights[world.weights.length - 1]?.iotCore ?? 0;
      return world.analysis(analysisRuns++, weight);
    },
    async sumMetric(input) {
      record('sumMetric', input);
      return world.legacyTraffic(trafficChecks++);
    },
  };
}
