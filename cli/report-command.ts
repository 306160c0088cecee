import { writeFileSync } from 'node:fs';
import path from 'node:path';

import { Command } from 'commander';

import { buildReportModel, readHistorySamples, renderReport } from '../report';
import { CliError } from './failure';
import { queryStatus, resolveMigration } from './migration-target';
import { type TemporalFlags, withTemporal, withTemporalFlags } from './temporal-connection';

interface ReportFlags extends TemporalFlags {
  out?: string;
  /** The same as the argument, as every other verb takes it. */
  id?: string;
}

/** `fleetshift report ID`: one self-contained HTML page of one migration. */
export function reportCommand(): Command {
  const command = new Command('report')
    .description('write a self-contained HTML report of one migration (inline SVG, no assets)')
    .argument('[id]', 'the migration; default: the most recent running one')
    .option('--id <workflowId>', 'the migration, as the other verbs take it')
    .option('--out <file>', 'where to write the page; default: fleetshift-report-<id>.html');
  withTemporalFlags(command);
  return command.action(async (id: string | undefined, flags: ReportFlags) => {
    if (id !== undefined && flags.id !== undefined && id !== flags.id) {
      throw new CliError(`two different migrations given: ${id} and --id ${flags.id}`);
    }
    const file = await writeReport(id ?? flags.id, flags);
    console.log(`report written to ${file}`);
  });
}

/** Builds the report of migration `id` (or the latest running one) and returns its path. */
export async function writeReport(id: string | undefined, flags: ReportFlags): Promise<string> {
  return withTemporal(flags, async ({ client }) => {
    const target = await resolveMigration(client, id);
    const status = await queryStatus(target);
    const samples = await readHistorySamples(client, target.id);
    const model = buildReportModel({
      id: target.id,
      execution: target.description.status.name,
      status,
      samples,
      generatedAt: new Date(),
    });
    const file = path.resolve(flags.out ?? `fleetshift-report-${target.id}.html`);
    writeFileSync(file, renderReport(model));
    return file;
  });
}
