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
  return program;
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
