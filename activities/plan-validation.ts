import { log } from '@temporalio/activity';

import { formatProblems, type MigrationPlan, parsePlan } from '../plan';
import { nonRetryable } from './errors';

/**
 * Validates a plan exactly as `fleetshift plan check` does, so a plan typed into the Temporal
 * UI gets the same messages; returns it with every default filled in.
 */
export async function validatePlan(raw: unknown): Promise<MigrationPlan> {
  const result = parsePlan(raw);
  if (!result.ok) {
    log.warn('plan refused', { problems: result.problems.length });
    throw nonRetryable(
      'InvalidPlan',
      `the plan has ${result.problems.length} problem(s):\n${formatProblems(result.problems)}`,
    );
  }
  return result.plan;
}
