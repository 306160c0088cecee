import { Command, CommanderError } from 'commander';

import { bridgeCommand } from './bridge-command';
import { demoCommand } from './demo-command';
import { reportFailure } from './failure';
import { historyCommand } from './history-command';
import { reportCommand } from './report-command';
import { signalCommands } from './signal-commands';
import { startCommand } from './start-command';
import { statusCommand } from './status-command';
import { planCommand } from './plan-command';
import { sandboxCommand } from './sandbox-command';
import { workerCommand } from './worker-command';

/** The `fleetshift` command line. Each verb lives in its own file and adds itself here. */
export function buildProgram(): Command {
  const program = new Command('fleetshift')
    .description('Move an MQTT device fleet to AWS IoT Core, durably and reversibly')
    .showHelpAfterError(false)
    .exitOverride();

  program.addCommand(sandboxCommand());
  program.addCommand(bridgeCommand());
  program.addCommand(planCommand());
  program.addCommand(workerCommand());
  program.addCommand(startCommand());
  for (const verb of signalCommands()) program.addCommand(verb);
  program.addCommand(statusCommand());
  program.addCommand(historyCommand());
  program.addCommand(reportCommand());
  program.addCommand(demoCommand());
  withOurErrorPrefix(program);
  return program;
}

/**
 * Commander's own usage errors ("error: unknown option '--bogus'") get the prefix every other
 * failure of the command line has, with the verb: "fleetshift approve: unknown option ...".
 * Added commands do not inherit output settings, so each one gets them.
 */
function withOurErrorPrefix(command: Command, path = command.name()): void {
  command.configureOutput({
    outputError: (text, write) => write(`${path}: ${text.replace(/^error: /, '')}`),
  });
  for (const sub of command.commands) withOurErrorPrefix(sub, `${path} ${sub.name()}`);
}

async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    // Commander has already printed its own one-line usage errors.
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    process.exitCode = reportFailure(err);
  }
}

if (require.main === module || process.argv[1]?.endsWith('fleetshift.js')) {
  void main(process.argv);
}
