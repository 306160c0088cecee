import { loadSandboxConfig, sandboxDown } from '../../sandbox';
import { dropLease, withStackLock } from './stack-lease';

/**
 * Stops the shared test stack when this run was its last user, unless FLEETSHIFT_KEEP_SANDBOX
 * asks to keep it for the next run.
 */
export default async function globalTeardown(): Promise<void> {
  const config = loadSandboxConfig();
  await withStackLock(config.home, async () => {
    const othersLeft = dropLease(config.home);
    if (othersLeft > 0 || process.env.FLEETSHIFT_KEEP_SANDBOX) return;
    await sandboxDown(config);
  });
}
