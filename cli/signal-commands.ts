import { userInfo } from 'node:os';

import { Command, InvalidArgumentError } from 'commander';

import {
  abortSignal,
  approveSignal,
  type ApproveSignalArgs,
  type MigrationStatus,
  type OperatorSignalArgs,
  pauseSignal,
  resumeSignal,
} from '../workflows/api';
import { cliLog as log } from './cli-log';
import { type MigrationTarget, queryStatus, resolveMigration } from './migration-target';
import { operatorErrors } from './operator-errors';
import { type OperatorSignal, signalRefusal } from './signal-rules';
import { type TemporalFlags, withTemporal, withTemporalFlags } from './temporal-connection';

interface SignalFlags extends TemporalFlags {
  id?: string;
  by?: string;
  reason?: string;
  gate?: string;
}

/** The login name of the person at the terminal, the default author of a decision. */
export function defaultOperator(): string {
  try {
    return userInfo().username;
  } catch {
    // Containers without a passwd entry for the uid still have USER most of the time.
    return process.env.USER ?? 'unknown';
  }
}

/** `approve`, `abort`, `pause` and `resume`: the four operator signals, one verb each. */
export function signalCommands(): Command[] {
  const approve = signalVerb('approve', 'approve the gate being waited on (or a named gate ahead)')
    .option(
      '--gate <gate>',
      'approve only this gate (dns-<percent>); a gate not reached yet is remembered',
      gateName,
    )
    .requiredOption('--reason <text>', 'why you approve; kept in the decisions');
  const abort = signalVerb(
    'abort',
    'stop the migration: undo the current phase and end Aborted',
  ).requiredOption('--reason <text>', 'why you abort; kept in the decisions');
  const pause = signalVerb('pause', 'hold before the next step; analysis keeps watching').option(
    '--reason <text>',
    'why you pause',
    'paused from the command line',
  );
  const resume = signalVerb('resume', 'go on after a pause, or retry after a rollback').option(
    '--reason <text>',
    'why you resume',
    'resumed from the command line',
  );
  return [approve, abort, pause, resume];
}

/** A gate as the plan names it: `dns-` and the percent to IoT Core, e.g. `dns-50`. */
function gateName(value: string): string {
  const percent = /^dns-(\d{1,3})$/.exec(value)?.[1];
  if (percent === undefined || Number(percent) < 1 || Number(percent) > 100) {
    throw new InvalidArgumentError(
      'gates are named dns-<percent to IoT Core>, e.g. dns-50 (`fleetshift plan check PLAN` lists them)',
    );
  }
  return value;
}

function signalVerb(signal: OperatorSignal, description: string): Command {
  const command = new Command(signal)
    .description(description)
    .option('--id <workflowId>', 'the migration; default: the most recent running one')
    .option('--by <name>', 'who decides (default: your login name)');
  withTemporalFlags(command);
  return command.action(async (flags: SignalFlags) => {
    const message = await sendOperatorSignal(signal, flags);
    console.log(message);
  });
}

/** Checks the state, sends the signal and returns the line to print. */
export async function sendOperatorSignal(
  signal: OperatorSignal,
  flags: SignalFlags,
): Promise<string> {
  const args: ApproveSignalArgs = {
    by: flags.by ?? defaultOperator(),
    reason: flags.reason ?? '',
    ...(flags.gate !== undefined ? { gate: flags.gate } : {}),
  };
  return withTemporal(flags, async ({ client }) => {
    const target = await resolveMigration(client, flags.id);
    const status = await statusIfAnswered(target);
    const refusal = signalRefusal(signal, target.description.status.name, status, flags.gate);
    if (refusal) throw operatorErrors.signalRefused(signal, target.id, refusal.state, refusal.why);

    await deliver(target, signal, args);
    log.info({ migration: target.id, signal, by: args.by, gate: args.gate }, 'signal sent');
    const gate = args.gate ? ` for gate '${args.gate}'` : '';
    const pending = status ? '' : ' (status unavailable: it will apply when a worker runs)';
    return `${signal} sent to migration ${target.id}${gate} by ${args.by}${pending}`;
  });
}

async function statusIfAnswered(target: MigrationTarget): Promise<MigrationStatus | null> {
  if (target.description.status.name !== 'RUNNING') return null;
  try {
    return await queryStatus(target);
  } catch (err) {
    log.warn({ migration: target.id, err }, 'status query failed; sending unchecked');
    return null;
  }
}

async function deliver(
  target: MigrationTarget,
  signal: OperatorSignal,
  args: ApproveSignalArgs,
): Promise<void> {
  const operator: OperatorSignalArgs = { by: args.by, reason: args.reason };
  switch (signal) {
    case 'approve':
      return target.handle.signal(approveSignal, args);
    case 'abort':
      return target.handle.signal(abortSignal, operator);
    case 'pause':
      return target.handle.signal(pauseSignal, operator);
    case 'resume':
      return target.handle.signal(resumeSignal, operator);
  }
}
