import { Command, Option } from 'commander';

import { DIRECTIONS } from '../bridge';
import { runBridgeProcess } from '../workers/bridge';

/** `fleetshift bridge --config FILE`: run one bridge instance until SIGTERM. */
export function bridgeCommand(): Command {
  return new Command('bridge')
    .description('forward MQTT traffic between the legacy broker and IoT Core, one direction')
    .requiredOption('--config <file>', 'bridge config, YAML or JSON')
    .option('--instance <id>', 'instance id, unique and stable (default: config or host-pid)')
    .addOption(new Option('--direction <direction>', 'override the config').choices(DIRECTIONS))
    .action(
      async (options: {
        config: string;
        instance?: string;
        direction?: (typeof DIRECTIONS)[number];
      }) => {
        await runBridgeProcess({
          config: options.config,
          instanceId: options.instance,
          direction: options.direction,
        });
      },
    );
}
