import {
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandle,
  WorkflowNotFoundError,
} from '@temporalio/client';

import { MIGRATION_WORKFLOW_TYPE, type MigrationStatus, statusQuery } from '../workflows/api';
import { operatorErrors } from './operator-errors';

/** The visibility query for migrations that are still running. */
export const RUNNING_MIGRATIONS_QUERY = `WorkflowType = '${MIGRATION_WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`;

/** One migration the operator pointed at (or the latest running one), described once. */
export interface MigrationTarget {
  id: string;
  namespace: string;
  handle: WorkflowHandle;
  description: WorkflowExecutionDescription;
}

/**
 * Finds the migration a command acts on: `id` when given, otherwise the most recently started
 * running fleetMigration. Says clearly when there is none, naming the namespace it looked in.
 */
export async function resolveMigration(
  client: Client,
  id: string | undefined,
): Promise<MigrationTarget> {
  const workflowId = id ?? (await latestRunningMigration(client));
  const handle = client.workflow.getHandle(workflowId);
  try {
    const description = await handle.describe();
    return { id: workflowId, namespace: client.options.namespace, handle, description };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw operatorErrors.migrationNotFound(workflowId, client.options.namespace);
    }
    throw err;
  }
}

async function latestRunningMigration(client: Client): Promise<string> {
  let latest: { id: string; startTime: Date } | undefined;
  // Visibility order differs between stores, so the newest start time is picked here.
  for await (const execution of client.workflow.list({ query: RUNNING_MIGRATIONS_QUERY })) {
    if (!latest || execution.startTime > latest.startTime) {
      latest = { id: execution.workflowId, startTime: execution.startTime };
    }
  }
  if (!latest) throw operatorErrors.noRunningMigration(client.options.namespace);
  return latest.id;
}

/** Asks the migration's `status` query; a missing worker or a refused query becomes one line. */
export async function queryStatus(target: MigrationTarget): Promise<MigrationStatus> {
  try {
    return await target.handle.query(statusQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      throw operatorErrors.migrationNotFound(target.id, target.namespace);
    }
    const cause = err instanceof Error ? err.message : String(err);
    throw operatorErrors.statusUnavailable(target.id, cause);
  }
}
