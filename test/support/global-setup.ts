import { loadSandboxConfig, sandboxUp } from '../../sandbox';

/**
 * Brings up the sandbox stack the integration and end-to-end tests share: the real Temporal dev
 * server, moto and both Mosquitto brokers, on the test ports (see jest.config.js). Idempotent,
 * because each jest project that needs the stack runs this.
 */
export default async function globalSetup(): Promise<void> {
  const result = await sandboxUp(loadSandboxConfig());
  if (!result.alreadyUp) {
    process.stdout.write(`\ntest sandbox up in ${result.seconds.toFixed(1)}s\n`);
  }
}
