/** Errors that already carry a message a person can act on; anything else is a bug. */
const KNOWN_ERRORS = new Set(['SandboxError', 'PlanError', 'CliError', 'BridgeConfigError']);

/**
 * Prints one line for an error the operator can act on (the stack only with FLEETSHIFT_DEBUG)
 * and returns the exit code.
 */
export function reportFailure(err: unknown): number {
  const error = err instanceof Error ? err : new Error(String(err));
  const known = KNOWN_ERRORS.has(error.name);
  process.stderr.write(`fleetshift: ${known ? '' : 'unexpected error: '}${error.message}\n`);
  if (process.env.FLEETSHIFT_DEBUG || !known) process.stderr.write(`${error.stack}\n`);
  return 1;
}

/** A refusal of the command line itself: a bad flag value, a missing file. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}
