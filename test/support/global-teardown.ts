import { loadSandboxConfig, sandboxDown } from '../../sandbox';

/** Stops the shared test stack, unless FLEETSHIFT_KEEP_SANDBOX asks to keep it for a rerun. */
export default async function globalTeardown(): Promise<void> {
  if (process.env.FLEETSHIFT_KEEP_SANDBOX) return;
  await sandboxDown(loadSandboxConfig());
}
