import { Command } from 'commander';

import { queryStatus, resolveMigration } from './migration-target';
import { historyEntries, renderHistory } from './render-history';
import { type TemporalFlags, withTemporal, withTemporalFlags } from './temporal-connection';

interface HistoryFlags extends TemporalFlags {
  id?: string;
  json?: boolean;
}

/** `fleetshift history`: every decision and rollback with who, why and the numbers. */
export function historyCommand(): Command {
  const command = new Command('history')
    .description('every decision and rollback, with who, why and the numbers behind it')
    .option('--id <workflowId>', 'the migration; default: the most recent running one')
    .option('--json', 'print the entries as JSON');
  withTemporalFlags(command);
  return command.action(async (flags: HistoryFlags) => {
    await withTemporal(flags, async ({ client }) => {
      const target = await resolveMigration(client, flags.id);
      const status = await queryStatus(target);
      const text = flags.json
        ? JSON.stringify({ id: target.id, entries: historyEntries(status) })
        : renderHistory(target.id, status);
      process.stdout.write(`${text}\n`);
    });
  });
}
