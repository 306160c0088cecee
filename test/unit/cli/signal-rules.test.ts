import { signalRefusal } from '../../../cli/signal-rules';
import { devicesStatus } from './status-fixture';

describe('signalRefusal', () => {
  it('lets approve through while a gate is waited on', () => {
    expect(signalRefusal('approve', 'RUNNING', devicesStatus())).toBeNull();
  });

  it('refuses approve without a gate when nothing waits, naming the state', () => {
    const refusal = signalRefusal(
      'approve',
      'RUNNING',
      devicesStatus({ state: 'Soaking', waitingGate: null }),
    );
    expect(refusal).toEqual({
      state: 'in phase Devices, Soaking',
      why: 'no gate is waiting; pass --gate G to approve a later gate ahead',
    });
  });

  it('accepts approving a named gate ahead, which the workflow remembers', () => {
    const status = devicesStatus({ state: 'Soaking', waitingGate: null });
    expect(signalRefusal('approve', 'RUNNING', status, 'devices-50')).toBeNull();
  });

  it('refuses every signal to a migration that has ended in Temporal', () => {
    for (const signal of ['approve', 'abort', 'pause', 'resume'] as const) {
      expect(signalRefusal(signal, 'COMPLETED', null)?.state).toBe('ended (completed)');
    }
  });

  it('refuses signals once the migration reports a final state', () => {
    const status = devicesStatus({ phase: 'Aborted', state: 'Aborted', waitingGate: null });
    expect(signalRefusal('abort', 'RUNNING', status)?.state).toBe('in phase Aborted, Aborted');
  });

  it('refuses pause when paused and resume when not paused or waiting after a rollback', () => {
    expect(signalRefusal('pause', 'RUNNING', devicesStatus({ state: 'Paused' }))?.why).toContain(
      'already paused',
    );
    expect(signalRefusal('resume', 'RUNNING', devicesStatus({ state: 'Soaking' }))?.state).toBe(
      "in phase Devices, Soaking at gate 'devices-10'",
    );
    expect(signalRefusal('resume', 'RUNNING', devicesStatus({ state: 'Paused' }))).toBeNull();
    expect(
      signalRefusal('resume', 'RUNNING', devicesStatus({ state: 'WaitingForOperator' })),
    ).toBeNull();
  });

  it('lets a signal through unchecked when the status could not be read', () => {
    expect(signalRefusal('approve', 'RUNNING', null)).toBeNull();
  });
});
