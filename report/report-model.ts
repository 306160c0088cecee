import {
  type AnalysisStatus,
  type DnsWeights,
  type MetricResult,
  type MigrationStatus,
} from '../workflows/api';

/** The IoT Core weight at one moment, in percent of devices. */
export interface WeightSample extends DnsWeights {
  at: string;
}

/** One analysis run's metrics at one moment. */
export interface AnalysisSample {
  at: string;
  metrics: MetricResult[];
}

/** An operator signal as it arrived at the workflow. */
export interface SignalSample {
  at: string;
  signal: string;
  by: string;
  reason: string;
  gate?: string;
}

/** Everything one report page shows about one migration. */
export interface ReportModel {
  id: string;
  /** Temporal's execution status, e.g. RUNNING or COMPLETED. */
  execution: string;
  status: MigrationStatus;
  weights: WeightSample[];
  analyses: AnalysisSample[];
  signals: SignalSample[];
  generatedAt: string;
}

/** Samples read from the workflow histories; see history-samples.ts. */
export interface HistorySamples {
  weights: WeightSample[];
  analyses: AnalysisSample[];
  signals: SignalSample[];
}

/**
 * Puts the report together. The histories give the series over time; the status adds the
 * latest values (the current weights and the last analysis), so a migration whose activities
 * are named differently than expected still shows where it stands now.
 */
export function buildReportModel(input: {
  id: string;
  execution: string;
  status: MigrationStatus;
  samples: HistorySamples;
  generatedAt: Date;
}): ReportModel {
  const { status, samples } = input;
  // Every migration starts with all devices on the legacy broker; the DNS steps go up from 0.
  const weights = byTime([
    { at: status.startedAt, legacy: 100, iotCore: 0 },
    ...samples.weights,
    { at: status.updatedAt, ...status.dnsWeights },
  ]);
  const analyses = byTime(withLatest(samples.analyses, status.lastAnalysis));
  return {
    id: input.id,
    execution: input.execution,
    status,
    weights,
    analyses,
    signals: byTime(samples.signals),
    generatedAt: input.generatedAt.toISOString(),
  };
}

function withLatest(samples: AnalysisSample[], latest: AnalysisStatus | null): AnalysisSample[] {
  if (!latest || samples.some((sample) => sample.at === latest.at)) return samples;
  return [...samples, { at: latest.at, metrics: latest.metrics }];
}

function byTime<T extends { at: string }>(items: T[]): T[] {
  return items
    .filter((item) => Number.isFinite(Date.parse(item.at)))
    .map((item, order) => ({ item, order }))
    .sort((a, b) => Date.parse(a.item.at) - Date.parse(b.item.at) || a.order - b.order)
    .map(({ item }) => item);
}
