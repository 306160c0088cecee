// Turns whatever was typed (a file, the Temporal UI's JSON box) into a plan or a list of problems.
import { type PlanProblem, crossFieldProblems } from './checks';
import { plainError } from './plain-errors';
import { type MigrationPlan, migrationPlanSchema } from './schema';

/** A plan with every default filled in, or every problem found in it. */
export type PlanParseResult =
  { ok: true; plan: MigrationPlan } | { ok: false; problems: PlanProblem[] };

/**
 * Validates a plan in one round: every schema problem, then every cross-field problem among the
 * parts that are valid on their own, so one run of `fleetshift plan check` lists them all.
 */
export function parsePlan(raw: unknown): PlanParseResult {
  const parsed = migrationPlanSchema.safeParse(raw, { error: plainError });
  const schemaProblems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({
        path: issue.path.length ? issue.path.join('.') : '(plan)',
        message: issue.message,
      }));
  const problems = [...schemaProblems, ...crossFieldProblems(raw)];
  if (!parsed.success || problems.length) return { ok: false, problems };
  return { ok: true, plan: parsed.data };
}

/** One line per problem, as `fleetshift plan check` and the worker print them. */
export function formatProblems(problems: PlanProblem[]): string {
  return problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
}
