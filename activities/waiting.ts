import { Context } from '@temporalio/activity';

/**
 * Polls `check` every `intervalMs` until it returns a value, heartbeating so Temporal notices a
 * dead worker quickly, and giving up after `timeoutMs` (then returns undefined). Outside an
 * activity (unit use) it simply sleeps.
 */
export async function pollUntil<T>(
  check: () => Promise<T | undefined>,
  options: { intervalMs: number; timeoutMs: number; progress?: () => unknown },
): Promise<T | undefined> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) return undefined;
    await pause(options.intervalMs, options.progress?.());
  }
}

/** Heartbeats and sleeps; throws when the activity is cancelled. */
export async function pause(ms: number, details?: unknown): Promise<void> {
  const context = inActivity();
  if (!context) {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return;
  }
  context.heartbeat(details);
  await context.sleep(ms);
}

/** Heartbeats if running inside an activity. */
export function beat(details?: unknown): void {
  inActivity()?.heartbeat(details);
}

function inActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
