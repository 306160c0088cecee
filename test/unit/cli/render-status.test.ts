import { age, renderStatus } from '../../../cli/render-status';
import { phaseProgress, progressBar } from '../../../cli/phase-progress';
import { devicesStatus, metric } from './status-fixture';

const now = new Date('2026-12-04T14:05:30.000Z');

describe('renderStatus', () => {
  it('shows phase, step, state and a progress bar per phase', () => {
    const text = renderStatus({ id: 'm-1', status: devicesStatus(), now });
    expect(text).toContain('Devices / WaitingForApproval, step 4/7');
    expect(text).toMatch(/Preparation\s+\[#{20}\] 100%/);
    expect(text).toMatch(/Backends\s+\[#{20}\] 100%\s+done/);
    expect(text).toMatch(/Devices\s+\[##-{18}\]\s+10%\s+step 4\/7, 10% to IoT Core/);
    expect(text).toMatch(/Cleanup\s+\[-{20}\]\s+0%/);
  });

  it('shows the DNS weights and each service with its counts', () => {
    const text = renderStatus({ id: 'm-1', status: devicesStatus(), now });
    expect(text).toContain('dns weights  legacy 90  iot-core 10');
    expect(text).toMatch(/telemetry\s+Succeeded\s+\[#{10}\]\s+legacy 0\s+migrated 4\/4/);
  });

  it('names the gate being waited on and for how long', () => {
    const text = renderStatus({ id: 'm-1', status: devicesStatus(), now });
    expect(text).toContain("waiting at 'devices-10' since 2026-12-04T14:00:00.000Z (5m 30s)");
    expect(text).toContain('fleetshift approve --id m-1');
  });

  it('puts each analysis value beside its threshold and the breach direction', () => {
    const text = renderStatus({ id: 'm-1', status: devicesStatus(), now });
    expect(text).toMatch(/iot-connect-success-ratio\s+99\.20\s+\(breach below 98\)\s+Pass/);
    expect(text).toMatch(/bridge-p99-ms\s+42\s+\(breach above 500\)\s+Pass/);
    expect(text).toContain('breaches 0/3  errors 0/2');
  });

  it('says no data when CloudWatch returned nothing for a metric', () => {
    const status = devicesStatus();
    status.lastAnalysis!.metrics = [metric({ value: null, outcome: 'NoData' })];
    const text = renderStatus({ id: 'm-1', status, now });
    expect(text).toMatch(/no data\s+\(breach below 98\)\s+NoData/);
  });

  it('says when no gate is waiting and no analysis has run', () => {
    const status = devicesStatus({ waitingGate: null, lastAnalysis: null, state: 'Running' });
    const text = renderStatus({ id: 'm-1', status, now });
    expect(text).toContain('gate         none waiting');
    expect(text).toContain('analysis     none yet');
  });

  it('says why a migration waits for an operator, and what to do', () => {
    const status = devicesStatus({ state: 'WaitingForOperator', waitingGate: null });
    status.decisions.push({
      at: '2026-12-04T14:00:00.000Z',
      kind: 'PhaseFailed',
      by: 'worker',
      reason: 'Preparation: cannot read canary.crt',
      phase: 'Preparation',
    });
    status.decisions.push({
      at: '2026-12-04T14:01:00.000Z',
      kind: 'SignalIgnored',
      by: 'bob',
      reason: 'pause while waiting',
      phase: 'Preparation',
    });
    const text = renderStatus({ id: 'm-1', status, now });
    expect(text).toContain('why: PhaseFailed by worker: Preparation: cannot read canary.crt');
    expect(text).toContain('fleetshift resume|abort --id m-1');
  });

  it('shows why a run ended', () => {
    const status = devicesStatus({
      phase: 'Aborted',
      state: 'Aborted',
      endReason: 'bob: bad canary',
    });
    expect(renderStatus({ id: 'm-1', status, now })).toContain('ended: bob: bad canary');
  });
});

describe('phaseProgress', () => {
  it('marks every phase done when the migration succeeded', () => {
    const status = devicesStatus({ phase: 'Succeeded', state: 'Succeeded' });
    expect(phaseProgress(status).map((p) => p.fraction)).toEqual([1, 1, 1, 1]);
  });

  it('measures the backends phase by migrated instances', () => {
    const status = devicesStatus({
      phase: 'Backends',
      services: [
        { name: 'a', state: 'Running', originalCount: 4, legacyCount: 3, migratedCount: 1 },
        { name: 'b', state: 'Pending', originalCount: 4, legacyCount: 4, migratedCount: 0 },
      ],
    });
    const backends = phaseProgress(status)[1];
    expect(backends.fraction).toBeCloseTo(1 / 8);
    expect(backends.note).toBe('1/8 instances migrated');
    expect(phaseProgress(status)[2].fraction).toBe(0);
  });
});

describe('progressBar and age', () => {
  it('clamps the bar to its width', () => {
    expect(progressBar(1.7, 4)).toBe('[####]');
    expect(progressBar(-1, 4)).toBe('[----]');
    expect(progressBar(Number.NaN, 4)).toBe('[----]');
  });

  it('reads ages in seconds, minutes and hours', () => {
    const at = new Date('2026-12-04T12:00:00Z');
    expect(age('2026-12-04T11:59:15Z', at)).toBe('45s');
    expect(age('2026-12-04T11:57:05Z', at)).toBe('2m 55s');
    expect(age('2026-12-04T10:55:00Z', at)).toBe('1h 05m');
    expect(age('not a time', at)).toBe('?');
  });
});
