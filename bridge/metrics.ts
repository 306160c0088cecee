import { Counter, Gauge, Histogram, Registry } from 'prom-client';

import { DEAD_LETTER_REASONS, type DeadLetterReason } from './iot-core-limits';

/** Which connection a state gauge describes. */
export type ConnectionSide = 'upstream' | 'downstream';

/** Why an inbound message was acked without forwarding or dead-lettering it. */
export type SkipReason = 'loop';

/**
 * The bridge's figures, in its own registry so several bridges in one process (tests, the
 * benchmark) keep separate counts. A small in-memory tally feeds the CloudWatch reporter.
 */
export class BridgeMetrics {
  readonly registry = new Registry();
  readonly forwarded: Counter<'direction'>;
  readonly acked: Counter<'direction'>;
  readonly deadLettered: Counter<'direction' | 'reason'>;
  readonly skipped: Counter<'direction' | 'reason'>;
  readonly redelivered: Counter<'direction'>;
  readonly inFlight: Gauge<'direction'>;
  readonly connectionUp: Gauge<'direction' | 'side' | 'connection'>;
  readonly reconnects: Counter<'direction' | 'side'>;
  readonly latency: Histogram<'direction'>;

  /** Totals kept as plain numbers, read by tests, /healthz and the CloudWatch reporter. */
  readonly totals = { forwarded: 0, acked: 0, deadLettered: 0, skipped: 0, redelivered: 0 };
  readonly deadLetteredByReason: Record<DeadLetterReason, number> = Object.fromEntries(
    DEAD_LETTER_REASONS.map((r) => [r, 0]),
  ) as Record<DeadLetterReason, number>;
  /** Forwarding latencies (ms) since the last CloudWatch batch, capped in size. */
  latencySampleMs: number[] = [];
  /** Read when /metrics is scraped, instead of setting a gauge for every message. */
  inFlightSource: () => number = () => 0;
  // Label-bound: looking labels up for every message costs more than the forwarding.
  private readonly hotLatency: { observe(value: number): void };

  constructor(readonly direction: string) {
    const registers = [this.registry];
    const totals = this.totals;
    // Counted per message in `totals` and caught up when /metrics is scraped: a prom-client
    // call per message costs more than the forwarding it counts.
    const caughtUp = { forwarded: 0, acked: 0 };
    this.forwarded = new Counter({
      name: 'fleetshift_bridge_forwarded_total',
      help: 'Messages published downstream and acknowledged there',
      labelNames: ['direction'],
      registers,
      collect() {
        this.inc({ direction }, totals.forwarded - caughtUp.forwarded);
        caughtUp.forwarded = totals.forwarded;
      },
    });
    this.acked = new Counter({
      name: 'fleetshift_bridge_acked_total',
      help: 'Upstream acknowledgements sent (after forwarding or dead-lettering)',
      labelNames: ['direction'],
      registers,
      collect() {
        this.inc({ direction }, totals.acked - caughtUp.acked);
        caughtUp.acked = totals.acked;
      },
    });
    this.deadLettered = new Counter({
      name: 'fleetshift_bridge_dead_lettered_total',
      help: 'Messages put in the dead-letter store instead of forwarded, by reason',
      labelNames: ['direction', 'reason'],
      registers,
    });
    this.skipped = new Counter({
      name: 'fleetshift_bridge_skipped_total',
      help: 'Messages acked without forwarding because this bridge forwarded them before',
      labelNames: ['direction', 'reason'],
      registers,
    });
    this.redelivered = new Counter({
      name: 'fleetshift_bridge_redelivered_total',
      help: 'Messages the upstream broker delivered again (DUP flag): possible duplicates',
      labelNames: ['direction'],
      registers,
    });
    const source = (): number => this.inFlightSource();
    this.inFlight = new Gauge({
      name: 'fleetshift_bridge_in_flight',
      help: 'Messages received upstream and not yet acknowledged upstream',
      labelNames: ['direction'],
      registers,
      collect() {
        this.set({ direction }, source());
      },
    });
    this.connectionUp = new Gauge({
      name: 'fleetshift_bridge_connection_up',
      help: '1 while the connection is established, 0 otherwise',
      labelNames: ['direction', 'side', 'connection'],
      registers,
    });
    this.reconnects = new Counter({
      name: 'fleetshift_bridge_reconnects_total',
      help: 'Reconnection attempts',
      labelNames: ['direction', 'side'],
      registers,
    });
    this.latency = new Histogram({
      name: 'fleetshift_bridge_forward_latency_seconds',
      help: 'From arrival upstream to the downstream acknowledgement',
      labelNames: ['direction'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    for (const reason of DEAD_LETTER_REASONS) this.deadLettered.inc({ direction, reason }, 0);
    this.skipped.inc({ direction, reason: 'loop' }, 0);
    this.forwarded.inc({ direction }, 0);
    this.acked.inc({ direction }, 0);
    this.redelivered.inc({ direction }, 0);
    this.hotLatency = this.latency.labels({ direction });
  }

  recordForwarded(latencyMs: number): void {
    this.totals.forwarded += 1;
    this.hotLatency.observe(latencyMs / 1000);
    if (this.latencySampleMs.length < 50_000) this.latencySampleMs.push(latencyMs);
  }

  recordAcked(): void {
    this.totals.acked += 1;
  }

  recordDeadLettered(reason: DeadLetterReason): void {
    this.totals.deadLettered += 1;
    this.deadLetteredByReason[reason] += 1;
    this.deadLettered.inc({ direction: this.direction, reason });
  }

  recordSkipped(reason: SkipReason): void {
    this.totals.skipped += 1;
    this.skipped.inc({ direction: this.direction, reason });
  }

  recordRedelivered(): void {
    this.totals.redelivered += 1;
    this.redelivered.inc({ direction: this.direction });
  }

  setConnection(side: ConnectionSide, connection: number, up: boolean): void {
    this.connectionUp.set(
      { direction: this.direction, side, connection: String(connection) },
      up ? 1 : 0,
    );
  }

  recordReconnect(side: ConnectionSide): void {
    this.reconnects.inc({ direction: this.direction, side });
  }
}
