// Analysis while the migration waits: during a soak, at a gate, while paused. A breach beyond
// the plan's limits ends the wait at once, whatever the wait was for.
import { condition, log, sleep } from '@temporalio/workflow';

import type { AnalysisRun } from '../activities';
import type { AnalysisStatus, OperatorSignalArgs } from './api';
import { act } from './activity-presets';
import { decide, nowIso } from './migration-state';
import type { PhaseContext } from './phase-context';

/** Why a watch ended: its condition or time came, or analysis says roll back. */
export type WatchEnd = 'Done' | 'RollBack';

const ANALYSIS: OperatorSignalArgs = { by: 'analysis', reason: '' };

/**
 * Waits until `until()` holds (and at least `soakSeconds` more have passed, when given),
 * running the plan's analysis every interval while devices are on IoT Core.
 */
export async function watch(
  ctx: PhaseContext,
  options: { until?: () => boolean; soakSeconds?: number },
): Promise<WatchEnd> {
  const { memory, plan } = ctx;
  const intervalMs = plan.analysis.intervalSeconds * 1000;
  const until = options.until ?? ((): boolean => true);
  const soakMs = (options.soakSeconds ?? 0) * 1000;
  let sinceAnalysisMs = 0;
  for (;;) {
    const soakLeftMs = soakMs - memory.soak.elapsedSeconds * 1000;
    if (soakLeftMs <= 0 && until()) return 'Done';

    const nextAnalysisMs = intervalMs - sinceAnalysisMs;
    if (soakLeftMs > 0) {
      // A soak is time at the step: signals do not shorten it. Counted by the timer's nominal
      // length, so task latency never eats an analysis run at the end of a soak.
      const sleptMs = Math.min(nextAnalysisMs, soakLeftMs);
      await sleep(sleptMs);
      memory.soak.elapsedSeconds += sleptMs / 1000;
      sinceAnalysisMs += sleptMs;
    } else {
      const started = Date.now();
      if (await condition(until, nextAnalysisMs)) return 'Done';
      sinceAnalysisMs += Math.max(nextAnalysisMs, Date.now() - started);
    }

    if (sinceAnalysisMs >= intervalMs) {
      sinceAnalysisMs = 0;
      if (memory.status.dnsWeights.iotCore > 0 && (await analyse(ctx)) === 'RollBack') {
        return 'RollBack';
      }
    }
  }
}

/** One analysis run, counted against the plan's limits; says whether to roll back. */
export async function analyse(ctx: PhaseContext): Promise<WatchEnd> {
  const { memory, plan } = ctx;
  const limits = plan.analysis;
  let run: AnalysisRun;
  try {
    run = await act.evaluateAnalysis({ aws: plan.aws, analysis: limits, endTimeMs: Date.now() });
  } catch (err) {
    run = { outcome: 'Error', metrics: [] };
    log.warn('analysis failed', { err: (err as Error).message });
  }

  const soak = memory.soak;
  if (run.outcome === 'Breach') soak.failures += 1;
  if (run.outcome === 'Error') soak.errors += 1;
  if (run.outcome === 'NoData' && limits.missingData === 'fail') soak.failures += 1;

  const status: AnalysisStatus = {
    at: nowIso(),
    outcome: run.outcome,
    metrics: run.metrics,
    failures: soak.failures,
    errors: soak.errors,
    failureLimit: limits.failureLimit,
    errorLimit: limits.errorLimit,
  };
  memory.status.lastAnalysis = status;
  const numbers = {
    iotCorePercent: memory.status.dnsWeights.iotCore,
    failures: soak.failures,
    failureLimit: limits.failureLimit,
    errors: soak.errors,
    errorLimit: limits.errorLimit,
    ...Object.fromEntries(
      run.metrics.flatMap((m) => (m.value === null ? [] : [[m.name, m.value]])),
    ),
  };

  if (run.outcome === 'NoData' && limits.missingData === 'pause' && !memory.paused) {
    memory.paused = true;
    decide(
      memory,
      'AnalysisNoData',
      { ...ANALYSIS, reason: 'no data: paused for an operator' },
      numbers,
    );
  }
  if (soak.failures > limits.failureLimit) {
    const reason = run.outcome === 'NoData' ? 'no data counts as a breach' : 'metrics breached';
    decide(memory, 'AnalysisBreach', { ...ANALYSIS, reason }, numbers);
    return 'RollBack';
  }
  if (soak.errors > limits.errorLimit) {
    decide(memory, 'AnalysisError', { ...ANALYSIS, reason: 'analysis kept failing' }, numbers);
    return 'RollBack';
  }
  return 'Done';
}
