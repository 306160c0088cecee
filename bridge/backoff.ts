/** Exponential backoff with full jitter, so many instances do not reconnect in lockstep. */
export class JitteredBackoff {
  private attempt = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next attempt: uniform between minMs and the current ceiling. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 30);
    return Math.round(this.minMs + this.random() * (ceiling - this.minMs));
  }

  /** Starts over after a successful connection. */
  reset(): void {
    this.attempt = 0;
  }
}
