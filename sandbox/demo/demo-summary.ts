import { type MigrationPlan } from '../../plan';
import { type MigrationStatus } from '../../workflows/api';
import { type DirectionReport, type FleetSnapshot, type LedgerReport } from '../dataplane';

/** Messages of one direction, as the demo reports them. */
export interface MessageFigures {
  sent: number;
  delivered: number;
  lost: number;
  duplicates: number;
}

/** One automatic rollback and the metric that caused it. */
export interface RollbackFigures {
  /** The IoT Core weight (percent) the breach happened at. */
  step: number;
  metric: string;
  value: number | null;
  threshold: number;
  at: string;
}

/** What `fleetshift demo --json` prints as its last line. */
export interface DemoSummary {
  outcome: MigrationStatus['phase'];
  workflowId: string;
  durationSeconds: number;
  devices: { total: number; onLegacy: number; onIotCore: number };
  messages: { telemetry: MessageFigures; commands: MessageFigures };
  rollbacks: RollbackFigures[];
  temporalUi: string;
}

/** Builds the summary from the final status, the fleet and the ledger's verdict. */
export function buildDemoSummary(input: {
  workflowId: string;
  startedAtMs: number;
  status: MigrationStatus;
  plan: MigrationPlan;
  fleet: FleetSnapshot;
  ledger: LedgerReport;
  temporalUi: string;
}): DemoSummary {
  const { status, plan, fleet, ledger } = input;
  return {
    outcome: status.phase,
    workflowId: input.workflowId,
    durationSeconds: Math.round((Date.now() - input.startedAtMs) / 1000),
    devices: {
      total: fleet.devices,
      onLegacy: fleet.connected.legacy,
      onIotCore: fleet.connected['iot-core'],
    },
    messages: {
      telemetry: figuresOf(ledger['device-to-backend']),
      commands: figuresOf(ledger['backend-to-device']),
    },
    rollbacks: status.rollbacks.flatMap((rollback) =>
      plan.analysis.metrics.map((metric) => ({
        step: rollback.from,
        metric: metric.name,
        value: rollback.numbers?.[metric.name] ?? null,
        threshold: metric.threshold,
        at: rollback.at,
      })),
    ),
    temporalUi: input.temporalUi,
  };
}

/** True when the demo did what it promises: completed, messages counted, none lost. */
export function demoSucceeded(summary: DemoSummary): boolean {
  const { telemetry, commands } = summary.messages;
  // An empty ledger proves nothing: a run that counted no message has not shown zero loss.
  const counted = telemetry.sent > 0 && commands.sent > 0;
  return summary.outcome === 'Succeeded' && counted && telemetry.lost === 0 && commands.lost === 0;
}

/** The summary for a person, a few lines. */
export function formatDemoSummary(summary: DemoSummary): string {
  const line = (name: string, m: MessageFigures): string =>
    `  ${name.padEnd(9)} sent ${m.sent}, delivered ${m.delivered}, lost ${m.lost}, ` +
    `duplicates ${m.duplicates}`;
  const rollbacks = summary.rollbacks.map(
    (r) =>
      `  at ${r.step}%: ${r.metric} = ${r.value ?? 'no data'} (threshold ${r.threshold}) ${r.at}`,
  );
  return [
    `migration ${summary.workflowId}: ${summary.outcome} in ${summary.durationSeconds}s`,
    `devices: ${summary.devices.total} (${summary.devices.onIotCore} on IoT Core, ` +
      `${summary.devices.onLegacy} on legacy)`,
    'messages (at least once: a duplicate is a message delivered again, never a loss):',
    line('telemetry', summary.messages.telemetry),
    line('commands', summary.messages.commands),
    `rollbacks: ${summary.rollbacks.length === 0 ? 'none' : ''}`,
    ...rollbacks,
    `Temporal UI: ${summary.temporalUi}`,
    // The demo's own worker has stopped, and Temporal answers status queries through one.
    `read it later: fleetshift worker, then fleetshift history --id ${summary.workflowId}`,
  ].join('\n');
}

function figuresOf(report: DirectionReport): MessageFigures {
  return {
    sent: report.sent,
    delivered: report.delivered,
    lost: report.lost,
    duplicates: report.duplicated,
  };
}
