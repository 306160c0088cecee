import { type MigrationStatus } from '../../workflows/api';
import { type SandboxConfig } from '../config';
import { type IotCoreOutageHandle, startIotCoreOutage } from '../dataplane';

/** Where the chaos run stands. */
export type ChaosStage = 'Waiting' | 'Outage' | 'Recovered';

/**
 * The demo's `--chaos`: once the devices phase soaks at `fromPercent` or more, the IoT Core
 * stand-in goes down; when the workflow has rolled back by itself and waits for an operator,
 * the stand-in comes back, and after the analysis window has passed (so old failures no longer
 * count) the caller may resume.
 */
export class ChaosMonkey {
  private stage: ChaosStage = 'Waiting';
  private outage?: IotCoreOutageHandle;
  private recoveredAtMs = 0;

  constructor(
    private readonly config: SandboxConfig,
    private readonly fromPercent: number,
    private readonly windowSeconds: number,
  ) {}

  /** Advances on each status poll; returns true when it is time to send `resume`. */
  async observe(status: MigrationStatus): Promise<boolean> {
    if (this.stage === 'Waiting' && this.shouldStart(status)) {
      this.outage = await startIotCoreOutage(this.config);
      this.stage = 'Outage';
      return false;
    }
    if (this.stage === 'Outage' && status.state === 'WaitingForOperator') {
      await this.outage?.stop();
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
  async end(): Promise<void> {
    if (this.stage === 'Outage') await this.outage?.stop();
  }

  private shouldStart(status: MigrationStatus): boolean {
    return (
      status.phase === 'Devices' &&
      status.state === 'Soaking' &&
      (status.step?.iotCorePercent ?? 0) >= this.fromPercent
    );
  }
}
