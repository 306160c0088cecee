// Turns whatever was typed (a file, the Temporal UI's JSON box) into a plan or a list of problems.
import { type PlanProblem, crossFieldProblems } from './checks';
import { type MigrationPlan, migrationPlanSchema } from './schema';

/** A plan with every default filled in, or every problem found in it. */
export type PlanParseResult =
  { ok: true; plan: MigrationPlan } | { ok: false; problems: PlanProblem[] };

/**
 * Validates a plan: all schema problems at once, then (if the types hold) cross-field ones.
 * LIMITATION: cross-field problems (step order, gates that are not steps, duplicate services)
 * are reported only once the plan has no schema problems, so a badly broken plan may need two
 * rounds of fixes.
 */
export function parsePlan(raw: unknown): PlanParseResult {
  const parsed = migrationPlanSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => ({
      path: issue.path.length ? issue.path.join('.') : '(plan)',
      message: issue.message,
    }));
    return { ok: false, problems };
  }
  const problems = crossFieldProblems(parsed.data);
  return problems.length ? { ok: false, problems } : { ok: true, plan: parsed.data };
}

/** One line per problem, as `fleetshift plan check` and the worker print them. */
export function formatProblems(problems: PlanProblem[]): string {
  return problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
}
