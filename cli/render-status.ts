import { type DecisionKind, type MetricResult, type MigrationStatus } from '../workflows/api';
import { phaseProgress, progressBar } from './phase-progress';

/** What the status view needs besides the status itself. */
export interface StatusView {
  id: string;
  status: MigrationStatus;
  /** The moment the view is drawn, so "since" reads as an age. */
  now: Date;
}

/**
 * The status as a person reads it at a glance: where the migration stands, how far each phase
 * has come, the DNS weights, each backend service, the gate being waited on and the latest
 * analysis values beside their thresholds.
 */
export function renderStatus({ id, status, now }: StatusView): string {
  const lines: string[] = [];
  const step = status.step ? `, step ${status.step.index + 1}/${status.step.count}` : '';
  lines.push(`migration ${id}  (plan ${status.plan})`);
  lines.push(
    `  ${status.phase} / ${status.state}${step}   updated ${age(status.updatedAt, now)} ago`,
  );
  if (status.endReason) lines.push(`  ended: ${status.endReason}`);
  // Waiting for an operator: say why, so that nobody has to read the history to decide.
  const last = [...status.decisions].reverse().find((d) => STOPPING_KINDS.has(d.kind));
  if (status.state === 'WaitingForOperator' && last) {
    lines.push(`  why: ${last.kind} by ${last.by}: ${last.reason}`);
    lines.push(
      `  resume to retry, abort to stop: fleetshift resume|abort --id ${id} --reason "..."`,
    );
  }

  lines.push('', 'phases');
  for (const progress of phaseProgress(status)) {
    const percent = `${Math.round(progress.fraction * 100)}%`.padStart(4);
    lines.push(
      `  ${progress.phase.padEnd(12)} ${progressBar(progress.fraction)} ${percent}  ${progress.note}`,
    );
  }

  const { legacy, iotCore } = status.dnsWeights;
  lines.push('', `dns weights  legacy ${legacy}  iot-core ${iotCore}`);

  if (status.services.length > 0) {
    lines.push('', 'services');
    const width = Math.max(...status.services.map((s) => s.name.length));
    for (const service of status.services) {
      const fraction =
        service.originalCount > 0 ? service.migratedCount / service.originalCount : 0;
      lines.push(
        `  ${service.name.padEnd(width)}  ${service.state.padEnd(11)} ${progressBar(fraction, 10)}` +
          `  legacy ${service.legacyCount}  migrated ${service.migratedCount}/${service.originalCount}`,
      );
    }
  }

  lines.push('');
  if (status.waitingGate) {
    const { gate, since } = status.waitingGate;
    lines.push(`gate         waiting at '${gate}' since ${since} (${age(since, now)})`);
    lines.push(`             approve with: fleetshift approve --id ${id} --reason "..."`);
  } else {
    lines.push('gate         none waiting');
  }

  lines.push(...renderAnalysis(status, now));
  const rollbacks = status.rollbacks.length;
  lines.push(
    '',
    `decisions    ${status.decisions.length}, rollbacks ${rollbacks}  (fleetshift history --id ${id})`,
  );
  return lines.join('\n');
}

/** Decisions that leave a migration waiting for an operator. */
const STOPPING_KINDS = new Set<DecisionKind>([
  'PhaseFailed',
  'RolledBack',
  'AnalysisBreach',
  'AnalysisError',
  'AnalysisNoData',
]);

function renderAnalysis(status: MigrationStatus, now: Date): string[] {
  const analysis = status.lastAnalysis;
  if (!analysis) return ['analysis     none yet'];
  const lines = [
    `analysis     ${analysis.outcome} at ${analysis.at} (${age(analysis.at, now)} ago)` +
      `  breaches ${analysis.failures}/${analysis.failureLimit}` +
      `  errors ${analysis.errors}/${analysis.errorLimit}`,
  ];
  const width = Math.max(...analysis.metrics.map((m) => m.name.length), 0);
  for (const metric of analysis.metrics) {
    lines.push(
      `  ${metric.name.padEnd(width)}  ${metricAgainstThreshold(metric)}  ${metric.outcome}`,
    );
  }
  return lines;
}

/** "99.2 (limit: breach below 98)", or "no data" when CloudWatch had no point. */
export function metricAgainstThreshold(metric: MetricResult): string {
  const value = metric.value === null ? 'no data' : formatNumber(metric.value);
  return `${value.padStart(8)}  (breach ${metric.breachWhen} ${formatNumber(metric.threshold)})`;
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** "3m 12s", "1h 05m", "45s": how long ago an ISO timestamp was. */
export function age(iso: string, now: Date): string {
  const seconds = Math.max(0, Math.round((now.getTime() - Date.parse(iso)) / 1000));
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}
