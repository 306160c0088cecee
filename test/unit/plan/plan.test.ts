import path from 'node:path';

import {
  buildSchedule,
  formatSchedule,
  parsePlan,
  readPlanFile,
  serviceBatches,
} from '../../../plan';

const examples = path.resolve(__dirname, '../../../examples');

function service(name: string, instances = 4): Record<string, unknown> {
  return { name, legacyService: `${name}-legacy`, migratedService: `${name}-iot`, instances };
}

function validPlan(overrides: Record<string, unknown> = {}): ReturnType<typeof parsePlan> {
  return parsePlan({ backends: { services: [service('telemetry')] }, ...overrides });
}

describe('parsePlan', () => {
  it('fills every default so an empty plan is valid', () => {
    const result = parsePlan({});
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.plan.aws).toEqual({
      region: 'us-east-1',
      accessKeyId: 'sandbox',
      secretAccessKey: 'sandbox',
    });
    expect(result.plan.dns.stepsPercent).toEqual([1, 2, 5, 10, 25, 50, 100]);
    expect(result.plan.dns.legacy.setIdentifier).toBe('legacy');
    expect(result.plan.dns.iotCore.setIdentifier).toBe('iot-core');
    expect(result.plan.analysis.metrics[0].queries[0].metric?.periodSeconds).toBe(60);
    expect(result.plan.analysis.missingData).toBe('pause');
  });

  it('reports every schema and cross-field problem of the broken example at once', () => {
    const result = parsePlan(readPlanFile(path.join(examples, 'broken-plan.json')));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const paths = result.problems.map((p) => p.path).sort();
    expect(paths).toEqual([
      'analysis.missingData',
      'aws.endpoint',
      'backends.services.0.instances',
      'backends.services.0.migratedService',
      'backends.services.1.name',
      'dns.approvalStepsPercent.0',
      'dns.stepsPercent',
      'dns.stepsPercent.1',
    ]);
  });

  it('refuses a misspelled key inside a section, naming its path', () => {
    const result = parsePlan({ dns: { approvalSteps: [50] }, analysis: { intervalSecond: 5 } });
    expect(result.ok).toBe(false);
    const paths = result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
    expect(paths).toEqual([
      expect.stringMatching(/^dns: .*approvalSteps/),
      expect.stringMatching(/^analysis: .*intervalSecond/),
    ]);
  });

  it('refuses a misspelled key in the nested sections too', () => {
    const result = validPlan({
      brokers: { iotCore: { certFlie: 'canary.crt' } },
      iotCore: {
        domainConfiguration: { name: 'd', domain: 'x' },
        safetyNet: { ruleName: 'r', bucket: 'bucket', rolArn: 'arn' },
      },
      analysis: { metrics: [{ name: 'm', threshold: 1, queries: [{ id: 'a', expresion: '1' }] }] },
    });
    const paths = result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
    for (const [path, key] of [
      ['brokers.iotCore', 'certFlie'],
      ['iotCore.domainConfiguration', 'domain'],
      ['iotCore.safetyNet', 'rolArn'],
      ['analysis.metrics.0.queries.0', 'expresion'],
    ]) {
      expect(paths).toContainEqual(expect.stringMatching(new RegExp(`^${path}: .*${key}`)));
    }
  });

  it('reports cross-field problems with their paths', () => {
    const result = parsePlan({
      backends: {
        services: [{ ...service('a', 2), batchSize: 3 }, service('a')],
      },
      dns: { stepsPercent: [5, 2, 50], approvalStepsPercent: [7] },
      analysis: {
        metrics: [
          {
            name: 'm',
            queries: [{ id: 'x', expression: '1' }],
            returnId: 'y',
            threshold: 1,
            breachWhen: 'above',
          },
        ],
      },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.path)).toEqual([
      'dns.stepsPercent.1',
      'dns.stepsPercent',
      'dns.approvalStepsPercent.0',
      'backends.services.0.batchSize',
      'backends.services.1.name',
      'analysis.metrics.0.returnId',
    ]);
  });

  it('refuses a query that has both a metric and an expression', () => {
    const result = validPlan({
      analysis: {
        metrics: [
          {
            name: 'm',
            queries: [{ id: 'x', expression: '1', metric: { namespace: 'n', metricName: 'm' } }],
            threshold: 1,
            breachWhen: 'above',
          },
        ],
      },
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0].path).toBe('analysis.metrics.0.queries.0');
  });
});

describe('buildSchedule', () => {
  it('splits instances into batches that add up to the count', () => {
    expect(serviceBatches({ ...service('s', 5), batchSize: 2, verifySeconds: 0 } as never)).toEqual(
      [2, 2, 1],
    );
  });

  it('counts soaks, verify pauses with the parallel cap, and the cleanup window', () => {
    const result = parsePlan({
      backends: {
        maxParallelServices: 2,
        services: [
          { ...service('a', 2), verifySeconds: 10 },
          { ...service('b', 1), verifySeconds: 10 },
          { ...service('c', 1), verifySeconds: 10 },
        ],
      },
      dns: { stepsPercent: [10, 100], soakSeconds: 300, approvalStepsPercent: [100] },
      cleanup: { zeroTrafficWindowSeconds: 60 },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const schedule = buildSchedule(result.plan);
    // a takes 20 s on one slot; b then c take 10 s each on the other.
    expect(schedule.backendsMinimumSeconds).toBe(20);
    expect(schedule.devicesMinimumSeconds).toBe(600);
    expect(schedule.minimumSeconds).toBe(20 + 600 + 60);
    expect(schedule.gates).toEqual(['dns-100']);
    expect(formatSchedule(result.plan, schedule)).toContain('minimum duration: 11m 20s');
  });

  it('accepts the plan the demo runs', () => {
    const result = parsePlan(readPlanFile(path.join(examples, 'sandbox.yaml')));
    expect(result.ok).toBe(true);
  });
});
