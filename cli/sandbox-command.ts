import { Command } from 'commander';

import {
  ensureSandboxPki,
  loadSandboxConfig,
  sandboxDown,
  sandboxStatus,
  sandboxUp,
  type ServiceStatus,
} from '../sandbox';
import { sandboxBackendCommand } from './sandbox-backend-command';
import { sandboxFleetCommand } from './sandbox-fleet-command';

/** `fleetshift sandbox up | down | status`: the local rehearsal stack. */
export function sandboxCommand(): Command {
  const sandbox = new Command('sandbox').description(
    'the local stack: Temporal, moto and both brokers, all on 127.0.0.1',
  );

  sandbox
    .command('up')
    .description('start every sandbox service that is not running, and wait until healthy')
    .action(async () => {
      const result = await sandboxUp(loadSandboxConfig());
      if (result.alreadyUp) {
        console.log('sandbox is already up');
      } else {
        console.log(
          `sandbox up in ${result.seconds.toFixed(1)}s (started ${result.started.join(', ')})`,
        );
      }
      printServices(result.services);
    });

  sandbox
    .command('down')
    .description('stop the processes the sandbox started; state and history are kept')
    .action(async () => {
      const stopped = await sandboxDown(loadSandboxConfig());
      console.log(stopped.length ? `stopped ${stopped.join(', ')}` : 'sandbox is not running');
    });

  sandbox
    .command('status')
    .description('each service with its address and health')
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }) => {
      const services = await sandboxStatus(loadSandboxConfig());
      if (options.json) console.log(JSON.stringify({ services }));
      else printServices(services);
      if (services.some((s) => s.state !== 'healthy')) process.exitCode = 3;
    });

  sandbox
    .command('pki')
    .description(
      "generate the customer CA and the stand-in's certificates (docker-compose needs them)",
    )
    .action(() => {
      const pki = ensureSandboxPki(loadSandboxConfig());
      console.log(`customer CA: ${pki.ca.cert}`);
    });

  sandbox.addCommand(sandboxBackendCommand());
  sandbox.addCommand(sandboxFleetCommand());
  return sandbox;
}

function printServices(services: ServiceStatus[]): void {
  const width = Math.max(...services.map((s) => s.name.length));
  for (const service of services) {
    const pid = service.pid ? ` pid ${service.pid}` : '';
    console.log(
      `  ${service.name.padEnd(width)}  ${service.state.padEnd(9)}  ${service.address}${pid}`,
    );
  }
}
