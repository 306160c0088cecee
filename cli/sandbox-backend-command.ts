import { Command, Option } from 'commander';
import { z } from 'zod';

import { plainError } from '../plan/plain-errors';
import { loadSandboxConfig, sandboxEndpoints } from '../sandbox';
import {
  type BrokerName,
  sandboxClientTls,
  sandboxLedgerDir,
  startBackend,
} from '../sandbox/dataplane';
import { CliError } from './failure';

const optionsSchema = z.object({
  broker: z.enum(['legacy', 'iot-core']),
  group: z.string().min(1),
  commandEvery: z.coerce.number().int().min(0),
  instanceId: z.string().regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash, underscore'),
  drainSeconds: z.coerce.number().min(0),
  ledgerDir: z.string().min(1).optional(),
});

/**
 * `fleetshift sandbox backend`: one instance of the sample backend service. The local ECS agent
 * runs it; it stops on SIGTERM after waiting (bounded) for the acks of commands it sent.
 */
export function sandboxBackendCommand(): Command {
  return new Command('backend')
    .description('run one sample backend instance (the local ECS agent starts these)')
    .addOption(
      new Option('--broker <name>', 'broker to use')
        .choices(['legacy', 'iot-core'])
        .default('legacy'),
    )
    .option('--group <name>', 'shared subscription group', 'backend')
    .option('--command-every <n>', 'answer every Nth telemetry message with a command', '5')
    .option('--instance-id <id>', 'unique instance id', process.env.FLEETSHIFT_INSTANCE_ID)
    .option('--drain-seconds <s>', 'on SIGTERM, wait this long for outstanding acks', '10')
    .option('--ledger-dir <dir>', 'ledger folder (default: <sandbox home>/ledger)')
    .action(async (raw: Record<string, unknown>) => {
      const parsed = optionsSchema.safeParse(
        { ...raw, instanceId: raw.instanceId ?? `pid-${process.pid}` },
        { error: plainError },
      );
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`);
        throw new CliError(`sandbox backend: ${problems.join('; ')}`);
      }
      const options = parsed.data;
      const config = loadSandboxConfig();
      const endpoints = sandboxEndpoints(config);
      const broker: BrokerName = options.broker;
      const backend = await startBackend({
        instanceId: options.instanceId,
        brokerUrl: broker === 'legacy' ? endpoints.legacyBrokerUrl : endpoints.iotCoreBrokerUrl,
        // One certificate for all instances; ensureDataplaneCertificates issues it ahead so
        // that instances started together do not race to write it.
        tls: broker === 'iot-core' ? sandboxClientTls(config, 'sandbox-backend') : undefined,
        group: options.group,
        commandEvery: options.commandEvery,
        drainMs: options.drainSeconds * 1000,
        ledgerDir: options.ledgerDir ?? sandboxLedgerDir(config),
      });
      await untilSignal();
      await backend.stop();
    });
}

/** Resolves on the first SIGTERM or SIGINT. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
}
