import { type MetricResult, type MigrationStatus } from '../../../workflows/api';

/** A metric result; override what the test is about. */
export function metric(overrides: Partial<MetricResult> = {}): MetricResult {
  return {
    name: 'iot-connect-success-ratio',
    value: 99.2,
    threshold: 98,
    breachWhen: 'below',
    outcome: 'Pass',
    ...overrides,
  };
}

/**
 * A migration in the devices phase, waiting at a gate after stepping to 10 percent, with one
 * migrated backend service, one approval and one rollback behind it.
 */
export function devicesStatus(overrides: Partial<MigrationStatus> = {}): MigrationStatus {
  return {
    plan: 'fleet-a',
    phase: 'Devices',
    state: 'WaitingForApproval',
    step: { index: 3, count: 7, iotCorePercent: 10 },
    waitingGate: { gate: 'devices-10', since: '2026-12-04T14:00:00.000Z' },
    dnsWeights: { legacy: 90, iotCore: 10 },
    services: [
      { name: 'telemetry', state: 'Succeeded', originalCount: 4, legacyCount: 0, migratedCount: 4 },
      { name: 'commands', state: 'Succeeded', originalCount: 2, legacyCount: 0, migratedCount: 2 },
    ],
    lastAnalysis: {
      at: '2026-12-04T13:59:30.000Z',
      outcome: 'Pass',
      metrics: [
        metric(),
        metric({ name: 'bridge-p99-ms', value: 42, threshold: 500, breachWhen: 'above' }),
      ],
      failures: 0,
      errors: 0,
      failureLimit: 3,
      errorLimit: 2,
    },
    decisions: [
      {
        at: '2026-12-04T13:40:00.000Z',
        kind: 'Approved',
        by: 'alice',
        reason: 'backends look healthy',
        phase: 'Devices',
      },
      {
        at: '2026-12-04T13:50:00.000Z',
        kind: 'AnalysisBreach',
        by: 'analysis',
        reason: 'connect success below threshold',
        phase: 'Devices',
        numbers: { value: 95.5, threshold: 98 },
      },
    ],
    rollbacks: [
      {
        at: '2026-12-04T13:50:01.000Z',
        phase: 'Devices',
        by: 'analysis',
        reason: 'connect success below threshold',
        from: 25,
        to: 10,
        numbers: { failures: 3 },
      },
    ],
    endReason: null,
    startedAt: '2026-12-04T13:00:00.000Z',
    updatedAt: '2026-12-04T14:00:00.000Z',
    ...overrides,
  };
}
