import { type MigrationStatus } from '../../workflows/api';
import { type DeviceGateway } from './device-gateway';

/** Where the chaos run stands. */
export type ChaosStage = 'Waiting' | 'Outage' | 'Recovered';

/**
 * The demo's `--chaos`: once the devices phase soaks at `fromPercent` or more, the IoT Core
 * endpoint starts refusing devices (their connections drop, new ones are refused); when the
 * workflow has rolled back by itself and waits for an operator, the endpoint recovers, and after
 * the analysis window has passed (so old failures no longer count) the caller may resume.
 */
export class ChaosMonkey {
  private stage: ChaosStage = 'Waiting';
  private recoveredAtMs = 0;

  constructor(
    private readonly gateway: DeviceGateway,
    private readonly fromPercent: number,
    private readonly windowSeconds: number,
  ) {}

  /** Advances on each status poll; returns true when it is time to send `resume`. */
  observe(status: MigrationStatus): boolean {
    if (this.stage === 'Waiting' && this.shouldStart(status)) {
      this.gateway.refuse();
      this.stage = 'Outage';
      return false;
    }
    if (this.stage === 'Outage' && status.state === 'WaitingForOperator') {
      this.gateway.accept();
      this.stage = 'Recovered';
      this.recoveredAtMs = Date.now();
      return false;
    }
    return (
      this.stage === 'Recovered' &&
      status.state === 'WaitingForOperator' &&
      Date.now() - this.recoveredAtMs >= this.windowSeconds * 1000
    );
  }

  /** Ends an outage still under way, so the sandbox is left whole. */
  end(): void {
    if (this.stage === 'Outage') this.gateway.accept();
  }

  private shouldStart(status: MigrationStatus): boolean {
    return (
      status.phase === 'Devices' &&
      status.state === 'Soaking' &&
      (status.step?.iotCorePercent ?? 0) >= this.fromPercent
    );
  }
}
