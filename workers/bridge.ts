import { type BridgeConfig, loadBridgeConfig, startBridge } from '../bridge';

/** Overrides given on the command line or by the process environment. */
export interface BridgeProcessOptions {
  config: string;
  instanceId?: string;
  direction?: BridgeConfig['direction'];
}

/**
 * The bridge process: loads and validates the config, starts one instance and, on SIGTERM or
 * SIGINT, stops taking messages, drains what is in flight and exits (0 if drained, 1 if not).
 * `FLEETSHIFT_INSTANCE_ID` (set by the ECS agent per slot) gives each instance a stable id, so a
 * replacement resumes its predecessor's persistent session.
 */
export async function runBridgeProcess(options: BridgeProcessOptions): Promise<void> {
  const config = loadBridgeConfig(options.config);
  const instanceId = options.instanceId ?? process.env.FLEETSHIFT_INSTANCE_ID;
  if (instanceId) config.instanceId = instanceId;
  if (options.direction) config.direction = options.direction;

  const bridge = await startBridge(config);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (): void => {
      if (stopping) return;
      stopping = true;
      bridge.stop().then(
        (drained) => {
          process.exitCode = drained ? 0 : 1;
          resolve();
        },
        () => {
          process.exitCode = 1;
          resolve();
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  // Everything is closed or given up on; a socket to a stalled broker must not keep a stopped
  // instance alive (its replacement waits for it). pino writes synchronously to stdout.
  process.exit();
}

if (require.main === module) {
  const index = process.argv.indexOf('--config');
  const file = index > 0 ? process.argv[index + 1] : undefined;
  if (!file) {
    process.stderr.write('usage: node -r tsx/cjs workers/bridge.ts --config FILE\n');
    process.exit(2);
  }
  runBridgeProcess({ config: file }).catch((err: Error) => {
    process.stderr.write(`fleetshift bridge: ${err.message}\n`);
    process.exitCode = 1;
  });
}
