import {
  type Clock,
  DownstreamPool,
  InFlightWindow,
  JitteredBackoff,
  OrderedAcks,
  type Outbound,
  type PoolConnection,
  type PoolMessage,
  RateLimiter,
  type TimerHandle,
} from '../../../bridge';

/** A clock tests move by hand; timers fire when time passes them. */
function manualClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  let timers: { at: number; fn: () => void; id: number }[] = [];
  let next = 1;
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = next++;
      timers.push({ at: now + ms, fn, id });
      return id as unknown as TimerHandle;
    },
    clearTimeout: (handle) => {
      timers = timers.filter((t) => t.id !== (handle as unknown as number));
    },
    advance(ms) {
      const until = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.fn();
      }
      now = until;
    },
  };
}

describe('OrderedAcks', () => {
  it('releases acks in arrival order while messages complete out of order', () => {
    const released: number[] = [];
    const acks = new OrderedAcks((n) => released.push(n));
    const tickets = [0, 1, 2, 3].map((n) => acks.add(n));
    tickets[2].complete();
    tickets[1].complete();
    expect(released).toEqual([]);
    tickets[0].complete();
    expect(released).toEqual([0, 1, 2]);
    tickets[3].complete();
    expect(released).toEqual([0, 1, 2, 3]);
    expect(acks.pending).toBe(0);
  });

  it('acks each message once even if completed twice', () => {
    const released: number[] = [];
    const acks = new OrderedAcks((n) => released.push(n));
    const ticket = acks.add(1);
    ticket.complete();
    ticket.complete();
    expect(released).toEqual([1]);
  });

  it('never acks messages of a lost connection', () => {
    const released: number[] = [];
    const acks = new OrderedAcks((n) => released.push(n));
    const ticket = acks.add(1);
    acks.discard();
    ticket.complete();
    expect(released).toEqual([]);
    expect(acks.pending).toBe(0);
  });

  it('keeps order across thousands of messages', () => {
    const released: number[] = [];
    const acks = new OrderedAcks((n) => released.push(n));
    const tickets = Array.from({ length: 5000 }, (_, n) => acks.add(n));
    for (let n = tickets.length - 1; n >= 0; n -= 2) tickets[n].complete();
    for (let n = 0; n < tickets.length; n += 2) tickets[n].complete();
    expect(released).toEqual(Array.from({ length: 5000 }, (_, n) => n));
  });
});

describe('RateLimiter', () => {
  it('never lets more than the limit through in any one-second window', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(100, clock);
    const sent: number[] = [];
    for (let ms = 0; ms < 5000; ms += 1) {
      while (limiter.tryTake()) sent.push(clock.now());
      clock.advance(1);
    }
    for (let i = 0; i < sent.length; i += 1) {
      const inWindow = sent.filter((t) => t >= sent[i] && t < sent[i] + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(100);
    }
    // And it does not throttle far below the limit: about 90 per second after the burst.
    expect(sent.length).toBeGreaterThanOrEqual(450);
  });

  it('says how long until the next token', () => {
    const clock = manualClock();
    const limiter = new RateLimiter(100, clock);
    while (limiter.tryTake());
    const wait = limiter.msUntilToken();
    expect(wait).toBeGreaterThan(0);
    clock.advance(wait);
    expect(limiter.tryTake()).toBe(true);
  });
});

describe('InFlightWindow', () => {
  it('refuses the 101st unacknowledged message until one is released', () => {
    const window = new InFlightWindow(100);
    for (let i = 0; i < 100; i += 1) expect(window.tryAcquire()).toBe(true);
    expect(window.tryAcquire()).toBe(false);
    window.release();
    expect(window.tryAcquire()).toBe(true);
    expect(window.inFlight).toBe(100);
  });
});

describe('JitteredBackoff', () => {
  it('grows exponentially up to the ceiling and starts over after a reset', () => {
    const backoff = new JitteredBackoff(100, 1000, () => 1);
    expect([1, 2, 3, 4, 5].map(() => backoff.next())).toEqual([100, 200, 400, 800, 1000]);
    backoff.reset();
    expect(backoff.next()).toBe(100);
  });

  it('spreads delays between the minimum and the current ceiling', () => {
    const backoff = new JitteredBackoff(100, 1000, () => 0);
    backoff.next();
    expect(backoff.next()).toBe(100);
  });
});

/** A fake lane that records publishes and acks them when told. */
function fakeLane(): PoolConnection & { sent: Outbound[]; ack(): void; connected: boolean } {
  const pending: PoolMessage[] = [];
  const lane: PoolConnection & { sent: Outbound[]; ack(): void; connected: boolean } = {
    connected: true,
    sent: [],
    onSettled: () => undefined,
    publish(message: PoolMessage) {
      lane.sent.push(message);
      pending.push(message);
    },
    ack() {
      const message = pending.shift();
      if (message) lane.onSettled(message);
    },
    close: async () => undefined,
  };
  return lane;
}

const message = (n: number): Outbound => ({
  topic: `t/${n}`,
  payload: Buffer.from(String(n)),
  qos: 1,
  retain: false,
});

describe('DownstreamPool', () => {
  it('keeps each connection within its in-flight window and spreads the load', () => {
    const clock = manualClock();
    const lanes = [fakeLane(), fakeLane()];
    const pool = new DownstreamPool(
      lanes,
      { connections: 2, publishesPerSecond: 1e6, maxInFlight: 3 },
      clock,
    );
    for (let n = 0; n < 10; n += 1) void pool.publish(message(n));
    expect(lanes.map((l) => l.sent.length)).toEqual([3, 3]);
    expect(pool.queued).toBe(4);
    lanes[0].ack();
    expect(lanes[0].sent.length).toBe(4);
    // One acknowledged: nine left, waiting or unacknowledged.
    expect(pool.inFlight).toBe(9);
  });

  it('holds messages back by the publish rate and sends them when tokens refill', () => {
    const clock = manualClock();
    const lane = fakeLane();
    const pool = new DownstreamPool(
      [lane],
      { connections: 1, publishesPerSecond: 100, maxInFlight: 1000 },
      clock,
    );
    const done: number[] = [];
    for (let n = 0; n < 200; n += 1) void pool.publish(message(n)).then(() => done.push(n));
    expect(lane.sent.length).toBe(10);
    clock.advance(1000);
    expect(lane.sent.length).toBeGreaterThanOrEqual(95);
    expect(lane.sent.length).toBeLessThanOrEqual(100);
    expect(lane.sent.map((m) => m.topic).slice(0, 3)).toEqual(['t/0', 't/1', 't/2']);
  });

  it('resolves a publish only when its connection acknowledged it', async () => {
    const clock = manualClock();
    const lane = fakeLane();
    const pool = new DownstreamPool(
      [lane],
      { connections: 1, publishesPerSecond: 1e6, maxInFlight: 10 },
      clock,
    );
    let resolved = false;
    const publish = pool.publish(message(1)).then(() => {
      resolved = true;
    });
    await Promise.resolve();
    expect(resolved).toBe(false);
    lane.ack();
    await publish;
    expect(resolved).toBe(true);
  });

  it('sends nothing to a disconnected connection', () => {
    const clock = manualClock();
    const [down, up] = [fakeLane(), fakeLane()];
    down.connected = false;
    const pool = new DownstreamPool(
      [down, up],
      { connections: 2, publishesPerSecond: 1e6, maxInFlight: 5 },
      clock,
    );
    for (let n = 0; n < 4; n += 1) void pool.publish(message(n));
    expect(down.sent).toEqual([]);
    expect(up.sent.length).toBe(4);
  });

  it('takes the time a message waits for a lane off its expiry, and gives up when none is left', async () => {
    const clock = manualClock();
    const lane = fakeLane();
    const pool = new DownstreamPool(
      [lane],
      { connections: 1, publishesPerSecond: 1e6, maxInFlight: 1 },
      clock,
    );
    const expiring = (n: number, seconds: number): Outbound => ({
      ...message(n),
      properties: { messageExpiryInterval: seconds },
      expiryAt: clock.now(),
    });
    void pool.publish(message(0));
    const long = pool.publish(expiring(1, 60));
    const short = pool.publish(expiring(2, 3));

    clock.advance(3_400);
    lane.ack();
    lane.ack();

    expect(lane.sent.map((m) => m.topic)).toEqual(['t/0', 't/1']);
    expect(lane.sent[1].properties?.messageExpiryInterval).toBe(57);
    await expect(long).resolves.toBeUndefined();
    await expect(short).rejects.toThrow(/expiry ran out/);
    expect(pool.inFlight).toBe(0);
  });

  it('drops waiting messages whose upstream connection is gone, never the ones in flight', async () => {
    const clock = manualClock();
    const lane = fakeLane();
    const pool = new DownstreamPool(
      [lane],
      { connections: 1, publishesPerSecond: 1e6, maxInFlight: 1 },
      clock,
    );
    const acks = new OrderedAcks(() => undefined);
    const outcomes: string[] = [];
    for (let n = 0; n < 3; n += 1) {
      pool.send({
        ...message(n),
        ticket: acks.add(n),
        settle: (err) => outcomes.push(`${n}:${err?.name ?? 'sent'}`),
      });
    }

    acks.discard();
    pool.dropAbandoned();

    expect(outcomes).toEqual(['1:MessageAbandoned', '2:MessageAbandoned']);
    expect(lane.sent.map((m) => m.topic)).toEqual(['t/0']);
    lane.ack();
    expect(outcomes).toEqual(['1:MessageAbandoned', '2:MessageAbandoned', '0:sent']);
    expect(pool.inFlight).toBe(0);
  });

  it("keeps each connection under the broker's Receive Maximum when it is below the window", () => {
    const clock = manualClock();
    const lane = Object.assign(fakeLane(), { receiveMaximum: 2 });
    const pool = new DownstreamPool(
      [lane],
      { connections: 1, publishesPerSecond: 1e6, maxInFlight: 5 },
      clock,
    );
    for (let n = 0; n < 4; n += 1) void pool.publish(message(n));

    expect(lane.sent.length).toBe(2);
    lane.ack();
    expect(lane.sent.length).toBe(3);
  });
});
