import { Command } from 'commander';

import { runWorker } from '../workers/worker';
import { operatorErrors } from './operator-errors';
import {
  resolveTemporalTarget,
  type TemporalFlags,
  withTemporalFlags,
} from './temporal-connection';

/** `fleetshift worker`: runs the Temporal worker until interrupted. */
export function workerCommand(): Command {
  return withTemporalFlags(
    new Command('worker').description('run the Temporal worker for fleetshift migrations'),
  ).action(async (flags: TemporalFlags) => {
    const { address, namespace } = resolveTemporalTarget(flags);
    try {
      await runWorker(address, namespace);
    } catch (err) {
      // The worker's first act is to connect; a refusal there is the operator's to fix.
      const cause = err instanceof Error ? err.message : String(err);
      if (/connect|unavailable|refused|transport/i.test(cause)) {
        throw operatorErrors.temporalUnreachable(address, namespace, cause);
      }
      throw err;
    }
  });
}
