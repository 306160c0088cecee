/**
 * Counts unacknowledged publishes on one connection and refuses more than the limit. IoT Core
 * drops a connection that holds more than 100 unacknowledged QoS 1 messages.
 */
export class InFlightWindow {
  private count = 0;

  constructor(
    /** Unacknowledged messages allowed at once. */
    readonly limit: number,
  ) {}

  get inFlight(): number {
    return this.count;
  }

  get hasRoom(): boolean {
    return this.count < this.limit;
  }

  /** Takes a slot if one is free. */
  tryAcquire(): boolean {
    if (this.count >= this.limit) return false;
    this.count += 1;
    return true;
  }

  /** Gives a slot back when the publish was acknowledged (or given up). */
  release(): void {
    if (this.count > 0) this.count -= 1;
  }
}
