import {
  CloudWatchClient,
  PutMetricDataCommand,
  type MetricDatum,
} from '@aws-sdk/client-cloudwatch';
import { type Logger } from 'pino';

import { type BridgeMetrics } from './metrics';

/** CloudWatch settings of the bridge (see the bridge config). */
export interface CloudWatchOptions {
  region: string;
  endpoint?: string;
  accessKeyId: string;
  secretAccessKey: string;
  intervalSeconds: number;
  namespace: string;
}

/**
 * Sends the bridge's figures to CloudWatch once per interval, in one PutMetricData call:
 * Forwarded and DeadLettered (counts since the last batch), InFlight and ForwardLatencyP99Ms,
 * all with the Direction dimension, so the workflow's analysis can query them.
 */
export class CloudWatchReporter {
  private readonly client: CloudWatchClient;
  private timer: NodeJS.Timeout | undefined;
  private last = { forwarded: 0, deadLettered: 0 };
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly options: CloudWatchOptions,
    private readonly metrics: BridgeMetrics,
    private readonly inFlight: () => number,
    private readonly log: Logger,
  ) {
    this.client = new CloudWatchClient({
      region: options.region,
      // With an endpoint (the emulator) static credentials; never the SDK's provider chain,
      // which may query the instance metadata address.
      ...(options.endpoint
        ? {
            endpoint: options.endpoint,
            credentials: {
              accessKeyId: options.accessKeyId,
              secretAccessKey: options.secretAccessKey,
            },
          }
        : {}),
    });
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.intervalSeconds * 1000);
    this.timer.unref();
  }

  /** Sends one batch now; failures are logged and the counts carried into the next batch. */
  async flush(): Promise<void> {
    // One batch at a time: two overlapping batches would both send the same counts.
    this.flushing = this.flushing.then(() => this.sendBatch());
    await this.flushing;
  }

  private async sendBatch(): Promise<void> {
    const { totals } = this.metrics;
    const now = { forwarded: totals.forwarded, deadLettered: totals.deadLettered };
    const samples = this.metrics.latencySampleMs;
    this.metrics.latencySampleMs = [];
    const data = this.datums(now.forwarded, now.deadLettered, samples);
    try {
      await this.client.send(
        new PutMetricDataCommand({ Namespace: this.options.namespace, MetricData: data }),
      );
      this.last = now;
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cloudwatch batch failed');
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    this.client.destroy();
  }

  private datums(forwarded: number, deadLettered: number, samples: number[]): MetricDatum[] {
    const dims = [{ Name: 'Direction', Value: this.metrics.direction }];
    const at = new Date();
    const datum = (name: string, value: number, unit: 'Count' | 'Milliseconds'): MetricDatum => ({
      MetricName: name,
      Dimensions: dims,
      Timestamp: at,
      Value: value,
      Unit: unit,
    });
    const data = [
      datum('Forwarded', forwarded - this.last.forwarded, 'Count'),
      datum('DeadLettered', deadLettered - this.last.deadLettered, 'Count'),
      datum('InFlight', this.inFlight(), 'Count'),
    ];
    if (samples.length > 0) data.push(datum('ForwardLatencyP99Ms', p99(samples), 'Milliseconds'));
    return data;
  }
}

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))];
}
