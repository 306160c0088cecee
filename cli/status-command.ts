import { setTimeout as delay } from 'node:timers/promises';

import { Command } from 'commander';

import { type MigrationStatus } from '../workflows/api';
import { CliError } from './failure';
import { type MigrationTarget, queryStatus, resolveMigration } from './migration-target';
import { renderStatus } from './render-status';
import { type TemporalFlags, withTemporal, withTemporalFlags } from './temporal-connection';

interface StatusFlags extends TemporalFlags {
  id?: string;
  watch?: boolean;
  json?: boolean;
  interval: string;
}

/** ANSI: clear the screen and put the cursor home, so `--watch` redraws in place. */
const CLEAR_SCREEN = '\u001b[2J\u001b[H';

/** `fleetshift status [--watch] [--json]`: where the migration stands. */
export function statusCommand(): Command {
  const command = new Command('status')
    .description('phase, step, progress per phase, DNS weights, services, gate and analysis')
    .option('--id <workflowId>', 'the migration; default: the most recent running one')
    .option('--watch', 'redraw live until the migration ends (Ctrl-C to stop)')
    .option('--interval <seconds>', 'seconds between redraws with --watch', '2')
    .option('--json', 'print the status query result as JSON');
  withTemporalFlags(command);
  return command.action(async (flags: StatusFlags) => {
    const intervalMs = Number(flags.interval) * 1000;
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
      throw new CliError(
        `--interval: expected a positive number of seconds, got '${flags.interval}'`,
      );
    }
    await withTemporal(flags, async ({ client }) => {
      const target = await resolveMigration(client, flags.id);
      if (!flags.watch) {
        process.stdout.write(`${await statusText(target, flags.json === true)}\n`);
        return;
      }
      await watch(target, flags.json === true, intervalMs);
    });
  });
}

async function statusText(target: MigrationTarget, json: boolean): Promise<string> {
  const status = await queryStatus(target);
  if (json) return JSON.stringify({ id: target.id, status });
  return renderStatus({ id: target.id, status, now: new Date() });
}

async function watch(target: MigrationTarget, json: boolean, intervalMs: number): Promise<void> {
  const stop = new AbortController();
  const onInterrupt = (): void => stop.abort();
  process.once('SIGINT', onInterrupt);
  try {
    while (!stop.signal.aborted) {
      const status = await queryStatus(target);
      const text = json
        ? JSON.stringify({ id: target.id, status })
        : `${CLEAR_SCREEN}${renderStatus({ id: target.id, status, now: new Date() })}`;
      process.stdout.write(`${text}\n`);
      if (hasEnded(status)) return;
      await delay(intervalMs, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}

function hasEnded(status: MigrationStatus): boolean {
  return status.state === 'Succeeded' || status.state === 'Aborted' || status.state === 'Failed';
}
