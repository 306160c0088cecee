// CloudWatch: the plan's analysis, and the legacy traffic the cleanup waits on.
import {
  GetMetricDataCommand,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';

import { type AnalysisMetricPlan, type AnalysisPlan, type MetricStatPlan } from '../plan';
import { type AnalysisOutcome, type MetricResult } from '../workflows/api';
import { type AwsTarget, awsClients } from './aws-clients';
import { evaluateExpression, type Series } from './metric-math';

/** One analysis run: every metric's value and outcome, and the worst outcome overall. */
export interface AnalysisRun {
  outcome: AnalysisOutcome;
  metrics: MetricResult[];
}

/**
 * Evaluates every metric of the plan over the window that ends at `endTimeMs`. A CloudWatch
 * fault becomes an `Error` outcome rather than a thrown error: the workflow counts errors
 * against the plan's error limit, which a Temporal retry would hide.
 */
export async function evaluateAnalysis(input: {
  aws: AwsTarget;
  analysis: AnalysisPlan;
  endTimeMs: number;
}): Promise<AnalysisRun> {
  const metrics: MetricResult[] = [];
  for (const metric of input.analysis.metrics) {
    metrics.push(await evaluateMetric(input, metric));
  }
  return { outcome: worstOutcome(metrics.map((m) => m.outcome)), metrics };
}

/** Breach beats Error beats NoData beats Pass. */
export function worstOutcome(outcomes: AnalysisOutcome[]): AnalysisOutcome {
  for (const outcome of ['Breach', 'Error', 'NoData'] as const) {
    if (outcomes.includes(outcome)) return outcome;
  }
  return 'Pass';
}

async function evaluateMetric(
  input: { aws: AwsTarget; analysis: AnalysisPlan; endTimeMs: number },
  metric: AnalysisMetricPlan,
): Promise<MetricResult> {
  const base = { name: metric.name, threshold: metric.threshold, breachWhen: metric.breachWhen };
  let values: number[];
  try {
    const series = await fetchSeries(input.aws, metric, input.endTimeMs, input.analysis);
    values = [...series.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  } catch (err) {
    return { ...base, value: null, outcome: 'Error', message: (err as Error).message };
  }
  if (values.length === 0) return { ...base, value: null, outcome: 'NoData' };
  const value = reduce(values, metric.reduce);
  const breached =
    metric.breachWhen === 'above' ? value > metric.threshold : value < metric.threshold;
  return { ...base, value, outcome: breached ? 'Breach' : 'Pass' };
}

async function fetchSeries(
  aws: AwsTarget,
  metric: AnalysisMetricPlan,
  endTimeMs: number,
  analysis: AnalysisPlan,
): Promise<Series> {
  const stats = metric.queries.filter((q) => q.metric);
  const results = await getMetricData(
    aws,
    stats.map((q) => statQuery(q.id, q.metric as MetricStatPlan)),
    endTimeMs - analysis.windowSeconds * 1000,
    endTimeMs,
  );
  const series: Record<string, Series> = {};
  for (const result of results) series[result.Id ?? ''] = toSeries(result);
  for (const query of metric.queries) {
    if (query.expression) series[query.id] = evaluateExpression(query.expression, series);
  }
  const returnId = metric.returnId ?? metric.queries[metric.queries.length - 1].id;
  return series[returnId] ?? new Map();
}

/**
 * Sum of a metric over a window, or null when CloudWatch has no data point in it (the
 * exporter may be down: silence is not the same as zero).
 */
export async function sumMetric(input: {
  aws: AwsTarget;
  metric: MetricStatPlan;
  windowSeconds: number;
  endTimeMs: number;
}): Promise<number | null> {
  const start = input.endTimeMs - Math.max(60, input.windowSeconds) * 1000;
  const [result] = await getMetricData(
    input.aws,
    [statQuery('m', input.metric)],
    start,
    input.endTimeMs,
  );
  const values = result?.Values ?? [];
  return values.length ? values.reduce((a, b) => a + b, 0) : null;
}

async function getMetricData(
  aws: AwsTarget,
  queries: MetricDataQuery[],
  startMs: number,
  endMs: number,
): Promise<MetricDataResult[]> {
  const results: MetricDataResult[] = [];
  let nextToken: string | undefined;
  do {
    const page = await awsClients(aws).cloudWatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: new Date(startMs),
        EndTime: new Date(endMs),
        NextToken: nextToken,
      }),
    );
    for (const result of page.MetricDataResults ?? []) {
      const existing = results.find((r) => r.Id === result.Id);
      if (existing) {
        existing.Values = [...(existing.Values ?? []), ...(result.Values ?? [])];
        existing.Timestamps = [...(existing.Timestamps ?? []), ...(result.Timestamps ?? [])];
      } else {
        results.push(result);
      }
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return results;
}

function statQuery(id: string, metric: MetricStatPlan): MetricDataQuery {
  return {
    Id: id,
    ReturnData: true,
    MetricStat: {
      Metric: {
        Namespace: metric.namespace,
        MetricName: metric.metricName,
        Dimensions: Object.entries(metric.dimensions).map(([Name, Value]) => ({ Name, Value })),
      },
      Stat: metric.stat,
      Period: metric.periodSeconds,
    },
  };
}

function toSeries(result: MetricDataResult): Series {
  const series: Series = new Map();
  (result.Timestamps ?? []).forEach((ts, i) => {
    const value = result.Values?.[i];
    if (value !== undefined) series.set(new Date(ts).getTime(), value);
  });
  return series;
}

function reduce(values: number[], how: AnalysisMetricPlan['reduce']): number {
  switch (how) {
    case 'latest':
      return values[values.length - 1];
    case 'max':
      return Math.max(...values);
    case 'min':
      return Math.min(...values);
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'average':
      return values.reduce((a, b) => a + b, 0) / values.length;
  }
}
