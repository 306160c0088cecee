/** A timer handle as returned by {@link Clock.setTimeout}. */
export type TimerHandle = ReturnType<typeof setTimeout>;

/**
 * Time as the bridge sees it. Production uses {@link systemClock}; unit tests pass their own so
 * they can move time forward without waiting.
 */
export interface Clock {
  /** Milliseconds since an arbitrary origin; only differences matter. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `performance.now()` so wall-clock jumps never produce negative durations. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle),
};
