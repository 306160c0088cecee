import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { Command } from 'commander';

import { formatProblems, parsePlan, PlanError, readPlanFile } from '../plan';
import { MIGRATION_WORKFLOW_TYPE, TASK_QUEUE } from '../workflows/api';
import { cliLog as log } from './cli-log';
import { CliError } from './failure';
import { type TemporalFlags, withTemporal, withTemporalFlags } from './temporal-connection';

interface StartFlags extends TemporalFlags {
  id?: string;
}

/** `fleetshift start PLAN [--id ID]`: validates the plan and starts a fleetMigration. */
export function startCommand(): Command {
  const command = new Command('start')
    .description('validate a plan (YAML or JSON) and start a fleetMigration workflow with it')
    .argument('<plan>', 'the plan file')
    .option('--id <workflowId>', 'workflow id; default: <plan name>-<UTC time>');
  withTemporalFlags(command);
  return command.action(async (file: string, flags: StartFlags) => {
    const id = await startMigration(file, flags);
    console.log(`started migration ${id} (task queue ${TASK_QUEUE})`);
    console.log(`  follow it with: fleetshift status --id ${id} --watch`);
  });
}

/** Starts the migration and returns its workflow id. */
export async function startMigration(file: string, flags: StartFlags): Promise<string> {
  // Refuse a bad plan here, with every problem listed, rather than as a failed workflow later.
  const parsed = parsePlan(readPlanFile(file));
  if (!parsed.ok) {
    throw new PlanError(`plan ${file} has problems:\n${formatProblems(parsed.problems)}`);
  }
  const plan = parsed.plan;
  const id = flags.id ?? defaultMigrationId(plan.name, new Date());
  return withTemporal(flags, async ({ client, target }) => {
    try {
      await client.workflow.start(MIGRATION_WORKFLOW_TYPE, {
        args: [plan],
        taskQueue: TASK_QUEUE,
        workflowId: id,
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw new CliError(
          `a migration with id '${id}' is already running in namespace '${target.namespace}'`,
        );
      }
      throw err;
    }
    log.info({ migration: id, plan: plan.name, namespace: target.namespace }, 'migration started');
    return id;
  });
}

/** A readable, sortable id such as `fleet-2026-12-04T14-30-05Z`. */
export function defaultMigrationId(planName: string, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/:/g, '-');
  return `${planName}-${stamp}`;
}
