import { parsePlan, type PlanProblem } from '../../../plan';

function service(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    legacyService: `${name}-legacy`,
    migratedService: `${name}-iot`,
    instances: 2,
    ...extra,
  };
}

/** Every problem of a plan as `path: message`, in the order reported; none if it is valid. */
function problemsOf(raw: unknown): string[] {
  const result = parsePlan(raw);
  return result.ok ? [] : result.problems.map((p: PlanProblem) => `${p.path}: ${p.message}`);
}

describe('parsePlan in one round', () => {
  it('reports a schema problem and a cross-field problem in the same run', () => {
    const problems = problemsOf({
      backends: { services: [service('telemetry', { instancs: 3 })] },
      dns: { stepsPercent: [10, 50, 100], approvalStepsPercent: [25] },
    });
    expect(problems).toEqual([
      expect.stringMatching(/^backends\.services\.0: .*instancs/),
      'dns.approvalStepsPercent.0: 25 is not one of dns.stepsPercent',
    ]);
  });

  it('checks the dns steps beside a misspelled key in the dns section itself', () => {
    const problems = problemsOf({ dns: { stepsPercent: [50, 20], ttlSecond: 5 } });
    expect(problems).toEqual([
      expect.stringMatching(/^dns: .*ttlSecond/),
      'dns.stepsPercent.1: steps must rise strictly',
      'dns.stepsPercent: the last step must be 100',
    ]);
  });

  it('checks each service on the fields that parsed, beside a broken sibling', () => {
    const problems = problemsOf({
      backends: {
        services: [
          service('a', { instances: 'two', batchSize: 3 }),
          service('a', { batchSize: 3 }),
          'not a service',
        ],
      },
    });
    expect(problems).toEqual([
      'backends.services.0.instances: must be a number, not a string',
      'backends.services.2: must be an object, not a string',
      'backends.services.1.name: duplicate name',
      'backends.services.1.batchSize: must not exceed instances',
    ]);
  });

  it('reports a decommission without a legacy broker service beside other problems', () => {
    const problems = problemsOf({
      aws: { endpoint: 'not a url' },
      cleanup: { decommissionLegacy: true },
    });
    expect(problems).toEqual([
      'aws.endpoint: must be a URL',
      'cleanup.legacyBrokerService: required when cleanup.decommissionLegacy is true',
    ]);
    const empty = problemsOf({ cleanup: { decommissionLegacy: true, legacyBrokerService: '' } });
    expect(empty).toEqual([
      'cleanup.legacyBrokerService: required when cleanup.decommissionLegacy is true',
    ]);
  });

  it('does not repeat a schema problem as a cross-field one', () => {
    const problems = problemsOf({
      // 150 is refused, so the order of the steps and the gate are not judged.
      dns: { stepsPercent: [50, 150], approvalStepsPercent: [7] },
      backends: { services: [service('s', { instances: 0, batchSize: 2 })] },
      analysis: {
        metrics: [
          {
            name: 'm',
            queries: [{ id: 'Ok', expression: '1' }],
            returnId: 'Ok',
            threshold: 1,
            breachWhen: 'above',
          },
        ],
      },
      cleanup: { decommissionLegacy: true, legacyBrokerService: 7 },
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'backends.services.0.instances',
      'dns.stepsPercent.1',
      'analysis.metrics.0.queries.0.id',
      'cleanup.legacyBrokerService',
    ]);
    expect(problems[problems.length - 1]).toMatch(/must be a string, not a number/);
  });

  it.each([null, [], 'plan', 42, { dns: null, backends: { services: {} }, analysis: [] }])(
    'refuses %j without throwing and without cross-field echoes',
    (raw) => {
      const result = parsePlan(raw);
      expect(result.ok).toBe(false);
      if (!result.ok)
        expect(result.problems.every((p) => /^must be an? \w+, not /.test(p.message))).toBe(true);
    },
  );
});
