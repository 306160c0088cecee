import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeDomainConfigurationCommand, GetTopicRuleCommand } from '@aws-sdk/client-iot';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';

import {
  adjustServiceCount,
  awsClients,
  describeServiceCounts,
  ensureIotCoreReadiness,
  evaluateAnalysis,
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
} from '../../../activities';
import { parsePlan, type MigrationPlan } from '../../../plan';
import { ensureCustomerCa } from '../../../sandbox';
import { createServices, createZone, motoTarget, uniqueSuffix } from './fixtures';

const aws = motoTarget();
const env = new MockActivityEnvironment();

/** Runs one activity in a mock activity context (heartbeats, cancellation, `log`). */
function run<A, R>(activity: (input: A) => Promise<R>, input: A): Promise<R> {
  return env.run<[A], R, (input: A) => Promise<R>>(activity, input);
}

function defaults(): MigrationPlan {
  const result = parsePlan({});
  if (!result.ok) throw new Error('default plan is invalid');
  return result.plan;
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('expected an ApplicationFailure');
}

describe('DNS activities on moto', () => {
  it('sets both weighted records in one batch, idempotently, and reads them back', async () => {
    const suffix = uniqueSuffix();
    const dns = {
      ...defaults().dns,
      hostedZoneName: `wf-${suffix}.sandbox.`,
      recordName: `mqtt.wf-${suffix}.sandbox.`,
    };
    await createZone(aws, dns.hostedZoneName);

    const changeId = await run(setDnsWeights, {
      aws,
      dns,
      weights: { legacy: 90, iotCore: 10 },
    });
    await run(waitForDnsSync, { aws, changeId, timeoutSeconds: 10 });
    await run(setDnsWeights, { aws, dns, weights: { legacy: 90, iotCore: 10 } });

    expect(await run(readDnsWeights, { aws, dns })).toEqual({ legacy: 90, iotCore: 10 });
  });

  it('refuses a missing hosted zone without retrying', async () => {
    const dns = { ...defaults().dns, hostedZoneName: `missing-${uniqueSuffix()}.sandbox.` };
    const failure = await failureOf(
      run(setDnsWeights, { aws, dns, weights: { legacy: 1, iotCore: 0 } }),
    );
    expect(failure.type).toBe('HostedZoneNotFound');
    expect(failure.nonRetryable).toBe(true);
  });
});

describe('ECS activities on moto', () => {
  it('scales to an absolute count, adjusts within bounds and sees the service stable', async () => {
    const cluster = `wf-${uniqueSuffix()}`;
    await createServices(aws, cluster, { bridge: 1 });
    const ref = { aws, cluster, service: 'bridge' };

    expect(await run(scaleService, { ...ref, desiredCount: 3 })).toBe(1);
    expect(await run(scaleService, { ...ref, desiredCount: 3 })).toBe(3);
    expect(await run(adjustServiceCount, { ...ref, delta: 5, max: 4 })).toBe(4);
    expect(await run(adjustServiceCount, { ...ref, delta: -9, max: 4 })).toBe(0);
    await run(scaleService, { ...ref, desiredCount: 2 });
    const counts = await run(waitForServiceStable, {
      ...ref,
      desiredCount: 2,
      timeoutSeconds: 10,
    });
    expect(counts.desired).toBe(2);
    expect(await run(describeServiceCounts, ref)).toEqual(counts);
  });

  it('sizes the bridge from the migrated counts, absolutely, so a retry changes nothing', async () => {
    const cluster = `wf-${uniqueSuffix()}`;
    // Eleven migrated services: ECS describes ten per call, so the counts take two calls.
    const migrated = Array.from({ length: 11 }, (_, i) => `svc-${i}-iot`);
    await createServices(aws, cluster, {
      bridge: 1,
      ...Object.fromEntries(migrated.map((name, i) => [name, i === 10 ? 3 : 0])),
    });
    const input = {
      aws,
      bridge: { cluster, service: 'bridge' },
      baseInstances: 1,
      perMigratedInstance: 0.5,
      maxInstances: 5,
      migrated: { cluster, services: migrated },
    };
    const bridge = async (): Promise<number> =>
      (await run(describeServiceCounts, { aws, cluster, service: 'bridge' })).desired;

    // 1 + ceil(0.5 * 3), however often it runs.
    expect(await run(setBridgeCapacity, input)).toBe(3);
    expect(await run(setBridgeCapacity, input)).toBe(3);
    expect(await bridge()).toBe(3);
    // A service about to grow to 2 counts as 2 already; the maximum caps the sum.
    const growing = { service: 'svc-0-iot', count: 2 };
    expect(await run(setBridgeCapacity, { ...input, growing })).toBe(4);
    expect(await run(setBridgeCapacity, { ...input, growing, maxInstances: 2 })).toBe(2);

    const failure = await failureOf(
      run(setBridgeCapacity, { ...input, migrated: { cluster, services: ['nope'] } }),
    );
    expect(failure.type).toBe('ServiceNotFound');
    expect(failure.nonRetryable).toBe(true);
  });

  it('refuses a missing service without retrying', async () => {
    const cluster = `wf-${uniqueSuffix()}`;
    await createServices(aws, cluster, {});
    const failure = await failureOf(
      run(scaleService, { aws, cluster, service: 'nope', desiredCount: 1 }),
    );
    expect(failure.type).toBe('ServiceNotFound');
    expect(failure.nonRetryable).toBe(true);
  });
});

describe('metrics activities on moto', () => {
  const namespace = `wf-test-${uniqueSuffix()}`;
  const endTimeMs = Date.now() + 60_000;

  beforeAll(async () => {
    await awsClients(aws).cloudWatch.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: [
          { MetricName: 'ok', Value: 90, Timestamp: new Date() },
          { MetricName: 'err', Value: 10, Timestamp: new Date() },
        ],
      }),
    );
  });

  function analysis(threshold: number, expression = 'ok / (ok + err)'): MigrationPlan['analysis'] {
    const metric = (metricName: string): object => ({
      namespace,
      metricName,
      dimensions: {},
      stat: 'Sum',
      periodSeconds: 60,
    });
    return {
      ...defaults().analysis,
      metrics: [
        {
          name: 'ratio',
          queries: [
            { id: 'ok', metric: metric('ok') },
            { id: 'err', metric: metric('err') },
            { id: 'ratio', expression },
          ],
          reduce: 'average',
          threshold,
          breachWhen: 'below',
        },
      ] as MigrationPlan['analysis']['metrics'],
    };
  }

  it('evaluates metric math over GetMetricData series and compares with the threshold', async () => {
    const pass = await run(evaluateAnalysis, { aws, analysis: analysis(0.8), endTimeMs });
    expect(pass.outcome).toBe('Pass');
    expect(pass.metrics[0].value).toBeCloseTo(0.9);

    const breach = await run(evaluateAnalysis, { aws, analysis: analysis(0.95), endTimeMs });
    expect(breach.outcome).toBe('Breach');
  });

  it('reports no data for an empty window and an error for an unreadable expression', async () => {
    const empty = await run(evaluateAnalysis, {
      aws,
      analysis: analysis(0.8),
      endTimeMs: Date.now() - 3_600_000,
    });
    expect(empty.outcome).toBe('NoData');
    const broken = await run(evaluateAnalysis, {
      aws,
      analysis: analysis(0.8, 'SUM(METRICS())'),
      endTimeMs,
    });
    expect(broken.outcome).toBe('Error');
    expect(broken.metrics[0].message).toMatch(/cannot read expression/);
  });

  it('sums a metric over a window and tells silence from zero', async () => {
    const metric = { namespace, metricName: 'err', dimensions: {}, stat: 'Sum', periodSeconds: 60 };
    expect(await run(sumMetric, { aws, metric, windowSeconds: 300, endTimeMs })).toBe(10);
    const silent = { ...metric, metricName: 'never-sent' };
    expect(await run(sumMetric, { aws, metric: silent, windowSeconds: 300, endTimeMs })).toBe(null);
  });
});

/** What IoT Core readiness needs, with names of its own and a CA of its own. */
function readinessNeeds(suffix: string): MigrationPlan['iotCore'] {
  const pki = ensureCustomerCa(mkdtempSync(path.join(os.tmpdir(), 'fleetshift-ca-')), suffix);
  return {
    caCertificateFile: pki.ca.cert,
    domainConfiguration: { name: `wf_${suffix}`, serverCertificateArns: [] },
    safetyNet: {
      ruleName: `wf_${suffix}`,
      bucket: `wf-${suffix}`,
      topicFilter: '#',
      roleArn: 'arn:aws:iam::123456789012:role/x',
    },
  };
}

describe('IoT Core readiness on moto', () => {
  it('creates the CA, domain configuration, bucket and rule once, and removes only those', async () => {
    const suffix = uniqueSuffix();
    const iotCore = readinessNeeds(suffix);

    const created = await run(ensureIotCoreReadiness, { aws, iotCore });
    expect(created.map((c) => c.kind)).toEqual([
      'ca-certificate',
      'domain-configuration',
      'bucket',
      'topic-rule',
    ]);
    expect(await run(ensureIotCoreReadiness, { aws, iotCore })).toEqual([]);
    const { iot, s3 } = awsClients(aws);
    const { safetyNet } = iotCore;
    const rule = await iot.send(new GetTopicRuleCommand({ ruleName: safetyNet?.ruleName }));
    expect(rule.rule?.actions?.[0].s3?.bucketName).toBe(safetyNet?.bucket);

    await run(removeIotCoreReadiness, { aws, created });
    await run(removeIotCoreReadiness, { aws, created });
    await expect(
      iot.send(new DescribeDomainConfigurationCommand({ domainConfigurationName: `wf_${suffix}` })),
    ).rejects.toThrow();
    await expect(s3.send(new HeadBucketCommand({ Bucket: safetyNet?.bucket }))).rejects.toThrow();
  });

  it('surveys as missing all that is not there yet, and nothing once it is ready', async () => {
    const iotCore = readinessNeeds(uniqueSuffix());

    const missing = await run(surveyIotCoreReadiness, { aws, iotCore });
    // Both ids the CA may be registered under, in the order ensuring creates.
    expect(missing.map((m) => m.kind)).toEqual([
      'ca-certificate',
      'ca-certificate',
      'domain-configuration',
      'bucket',
      'topic-rule',
    ]);
    const created = await run(ensureIotCoreReadiness, { aws, iotCore });
    expect(created).toHaveLength(4);
    expect(missing).toEqual(expect.arrayContaining(created));
    expect(await run(surveyIotCoreReadiness, { aws, iotCore })).toEqual([]);

    // Removing what the survey found, the CA id never used included, leaves nothing behind.
    await run(removeIotCoreReadiness, { aws, created: missing });
    expect(await run(surveyIotCoreReadiness, { aws, iotCore })).toEqual(missing);
  });
});

describe('validatePlan', () => {
  it('refuses a bad plan with every problem and its path, without retrying', async () => {
    const failure = await failureOf(
      run(validatePlan, { aws: { endpoint: 'nope' }, dns: { stepsPercent: [50, 10] } }),
    );
    expect(failure.type).toBe('InvalidPlan');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('aws.endpoint');
  });
});
