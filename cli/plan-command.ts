import { Command } from 'commander';

import {
  buildSchedule,
  formatProblems,
  formatSchedule,
  parsePlan,
  PlanError,
  readPlanFile,
} from '../plan';

/** `fleetshift plan check FILE`: every problem with its path, or the schedule. */
export function planCommand(): Command {
  const plan = new Command('plan').description('migration plans: validate and preview');

  plan
    .command('check')
    .description('validate a plan (YAML or JSON); print every problem, or the schedule')
    .argument('<file>', 'plan file')
    .option('--json', 'print the validated plan with defaults as JSON instead of the schedule')
    .action((file: string, options: { json?: boolean }) => {
      const result = parsePlan(readPlanFile(file));
      if (!result.ok) {
        const count = result.problems.length;
        throw new PlanError(
          `plan ${file} has ${count} problem${count === 1 ? '' : 's'}:\n${formatProblems(result.problems)}`,
          result.problems,
        );
      }
      if (options.json) console.log(JSON.stringify(result.plan));
      else console.log(formatSchedule(result.plan, buildSchedule(result.plan)));
    });

  return plan;
}
