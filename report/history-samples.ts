import { type Client, defaultPayloadConverter } from '@temporalio/client';
import { type temporal } from '@temporalio/proto';

import { type MetricResult } from '../workflows/api';
import { type AnalysisSample, type HistorySamples, type WeightSample } from './report-model';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

/** Child workflows read at most, so a huge fan-out cannot make the report hang. */
const MAX_WORKFLOWS = 200;

/**
 * Reads the series the report draws from the Temporal histories of the migration and of its
 * child workflows (the phases run as children): the DNS weights each time an activity set them,
 * each analysis result, and each operator signal.
 *
 * LIMITATION: weights and analysis results are recognised by the shape of activity inputs and
 * results ({legacy, iotCore} numbers; a `metrics` list with name, value and threshold), not by
 * activity name, so an activity that passes weights in another shape is not plotted; the report
 * then shows only the start and the current weights.
 */
export async function readHistorySamples(
  client: Client,
  workflowId: string,
): Promise<HistorySamples> {
  const samples: HistorySamples = { weights: [], analyses: [], signals: [] };
  const queue = [workflowId];
  const seen = new Set<string>();
  while (queue.length > 0 && seen.size < MAX_WORKFLOWS) {
    const id = queue.shift() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    const history = await client.workflow.getHandle(id).fetchHistory();
    const children = collectSamples(history.events ?? [], samples, id === workflowId);
    queue.push(...children);
  }
  return samples;
}

/**
 * Adds the samples found in one history to `samples` and returns the ids of child workflows.
 * Signals count only on the migration itself (`isRoot`), where operators send them.
 */
export function collectSamples(
  events: HistoryEvent[],
  samples: HistorySamples,
  isRoot: boolean,
): string[] {
  const children: string[] = [];
  const scheduledWeights = new Map<string, Omit<WeightSample, 'at'>>();
  for (const event of events) {
    const at = eventTime(event);
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const weights = findWeights(decodeFirst(scheduled.input));
      if (weights) scheduledWeights.set(String(event.eventId), weights);
    }
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed) {
      // A weight counts from the moment the activity that set it completed.
      const weights = scheduledWeights.get(String(completed.scheduledEventId));
      if (weights) samples.weights.push({ at, ...weights });
      const analysis = findAnalysis(decodeFirst(completed.result), at);
      if (analysis) samples.analyses.push(analysis);
    }
    const child = event.childWorkflowExecutionStartedEventAttributes?.workflowExecution?.workflowId;
    if (child) children.push(child);
    const signaled = event.workflowExecutionSignaledEventAttributes;
    if (signaled && isRoot) {
      const args = decodeFirst(signaled.input) as Record<string, unknown> | undefined;
      samples.signals.push({
        at,
        signal: signaled.signalName ?? '?',
        by: typeof args?.by === 'string' ? args.by : '?',
        reason: typeof args?.reason === 'string' ? args.reason : '',
        ...(typeof args?.gate === 'string' ? { gate: args.gate } : {}),
      });
    }
  }
  return children;
}

function eventTime(event: HistoryEvent): string {
  const seconds = Number(event.eventTime?.seconds ?? 0);
  const nanos = event.eventTime?.nanos ?? 0;
  return new Date(seconds * 1000 + Math.floor(nanos / 1e6)).toISOString();
}

function decodeFirst(payloads: Payloads): unknown {
  const first = payloads?.payloads?.[0];
  if (!first) return undefined;
  try {
    return defaultPayloadConverter.fromPayload(first);
  } catch {
    // A payload in an encoding we cannot read (binary, encrypted) simply carries no sample.
    return undefined;
  }
}

/** {legacy, iotCore} at the top level of a value or one level down. */
function findWeights(value: unknown): Omit<WeightSample, 'at'> | undefined {
  if (isWeights(value)) return { legacy: value.legacy, iotCore: value.iotCore };
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) {
      if (isWeights(inner)) return { legacy: inner.legacy, iotCore: inner.iotCore };
    }
  }
  return undefined;
}

function isWeights(value: unknown): value is { legacy: number; iotCore: number } {
  const record = value as Record<string, unknown> | null;
  return (
    typeof record === 'object' &&
    record !== null &&
    typeof record.legacy === 'number' &&
    typeof record.iotCore === 'number'
  );
}

function findAnalysis(value: unknown, at: string): AnalysisSample | undefined {
  const record = value as { metrics?: unknown; at?: unknown } | null | undefined;
  if (!record || typeof record !== 'object' || !Array.isArray(record.metrics)) return undefined;
  const metrics = record.metrics.filter(isMetric);
  if (metrics.length === 0) return undefined;
  return { at: typeof record.at === 'string' ? record.at : at, metrics };
}

function isMetric(value: unknown): value is MetricResult {
  const metric = value as Record<string, unknown> | null;
  return (
    typeof metric === 'object' &&
    metric !== null &&
    typeof metric.name === 'string' &&
    typeof metric.threshold === 'number' &&
    (metric.value === null || typeof metric.value === 'number')
  );
}
