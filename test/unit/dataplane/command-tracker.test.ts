import { CommandTracker, type PendingCommand } from '../../../sandbox/dataplane';

function trackerWithClock(resendAfterMs = 1000): {
  tracker: CommandTracker;
  sent: PendingCommand[];
  advance: (ms: number) => void;
} {
  let now = 0;
  const sent: PendingCommand[] = [];
  const tracker = new CommandTracker({
    resendAfterMs,
    send: (command) => sent.push({ ...command }),
    now: () => now,
  });
  return { tracker, sent, advance: (ms) => (now += ms) };
}

describe('CommandTracker', () => {
  it('sends a command once and resends it only after the ack is overdue', () => {
    const { tracker, sent, advance } = trackerWithClock(1000);
    tracker.issue('b.c1', 'device-1');
    advance(999);
    tracker.resendOverdue();
    expect(sent.map((c) => c.attempts)).toEqual([1]);

    advance(1);
    tracker.resendOverdue();
    expect(sent.map((c) => c.attempts)).toEqual([1, 2]);
    expect(tracker.resends).toBe(1);
  });

  it('stops resending once the device acked', () => {
    const { tracker, sent, advance } = trackerWithClock(1000);
    tracker.issue('b.c1', 'device-1');
    expect(tracker.ack('b.c1')).toBe(true);
    advance(5000);
    tracker.resendOverdue();
    expect(sent).toHaveLength(1);
    expect(tracker.outstanding).toBe(0);
  });

  it('treats a second ack of the same command as a duplicate', () => {
    const { tracker } = trackerWithClock();
    tracker.issue('b.c1', 'device-1');
    expect(tracker.ack('b.c1')).toBe(true);
    expect(tracker.ack('b.c1')).toBe(false);
    expect(tracker.acked).toBe(1);
  });
});
