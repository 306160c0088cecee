import { loadSandboxConfig, sandboxUp } from '../../sandbox';
import { takeLease, withStackLock } from './stack-lease';

/**
 * Brings up the sandbox stack the integration and end-to-end tests share: the real Temporal dev
 * server, moto and both Mosquitto brokers, on the test ports (see jest.config.js). Idempotent,
 * because each jest project that needs the stack runs this, and concurrent runs share it.
 */
export default async function globalSetup(): Promise<void> {
  const config = loadSandboxConfig();
  await withStackLock(config.home, async () => {
    const result = await sandboxUp(config);
    takeLease(config.home);
    if (!result.alreadyUp) {
      process.stdout.write(`\ntest sandbox up in ${result.seconds.toFixed(1)}s\n`);
    }
  });
}
