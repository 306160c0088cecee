import { type Clock, systemClock } from './clock';

/**
 * A token bucket that keeps one connection under a publish rate in every one-second window.
 *
 * A plain bucket of capacity C refilled at R per second lets R + C through in some second. To
 * stay under the limit L in any sliding second, the bucket holds a tenth of L and refills at
 * nine tenths of L, so the worst second sees exactly L.
 */
export class RateLimiter {
  private readonly capacity: number;
  private readonly refillPerMs: number;
  private tokens: number;
  private last: number;

  constructor(
    /** Publishes allowed per second. */
    readonly perSecond: number,
    private readonly clock: Clock = systemClock,
  ) {
    this.capacity = Math.max(1, Math.floor(perSecond / 10));
    this.refillPerMs = (perSecond - this.capacity) / 1000;
    if (this.refillPerMs <= 0) this.refillPerMs = perSecond / 2000;
    this.tokens = this.capacity;
    this.last = clock.now();
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Milliseconds until a token will be available (0 if one is available now). */
  msUntilToken(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    return Math.ceil((1 - this.tokens) / this.refillPerMs);
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = now - this.last;
    this.last = now;
    if (elapsed > 0)
      this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.refillPerMs);
  }
}
