import { Command } from 'commander';

import { runWorker } from '../workers/worker';
import { DEFAULT_NAMESPACE } from '../workflows/api';

/** `fleetshift worker`: runs the Temporal worker until interrupted. */
export function workerCommand(): Command {
  return new Command('worker')
    .description('run the Temporal worker for fleetshift migrations')
    .option(
      '--address <host:port>',
      'Temporal frontend (default TEMPORAL_ADDRESS or 127.0.0.1:7233)',
    )
    .option('--namespace <name>', 'Temporal namespace (default TEMPORAL_NAMESPACE or default)')
    .action(async (options: { address?: string; namespace?: string }) => {
      const address = options.address ?? process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
      const namespace = options.namespace ?? process.env.TEMPORAL_NAMESPACE ?? DEFAULT_NAMESPACE;
      await runWorker(address, namespace);
    });
}
