import { Command } from 'commander';
import { z } from 'zod';

import { plainError } from '../plan/plain-errors';
import { loadSandboxConfig, type SandboxConfig } from '../sandbox';
import {
  type DnsServerHandle,
  findHostedZoneId,
  SANDBOX_NAMES,
  sandboxAws,
  startDnsServer,
  sandboxBrokerTargets,
  sandboxLedgerDir,
  startFleet,
} from '../sandbox/dataplane';
import { CliError } from './failure';
import { untilSignal } from './sandbox-backend-command';

const optionsSchema = z.object({
  devices: z.coerce.number().int().min(1).max(100_000),
  dns: z
    .string()
    .regex(/^127\.0\.0\.1:\d{1,5}$/, 'must be 127.0.0.1:PORT')
    .optional(),
  mqtt5Share: z.coerce.number().min(0).max(1),
  telemetrySeconds: z.coerce.number().positive(),
  reconnectSeconds: z.coerce.number().min(0),
  ledgerDir: z.string().min(1).optional(),
  prefix: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, dash, underscore'),
});

/** `fleetshift sandbox fleet`: simulated devices that find their broker through sandbox DNS. */
export function sandboxFleetCommand(): Command {
  return new Command('fleet')
    .description('run simulated devices until SIGINT or SIGTERM, printing counters')
    .option('--dns <address>', 'a running sandbox DNS server (default: start one from moto)')
    .option('--devices <n>', 'number of devices', '100')
    .option('--mqtt5-share <fraction>', 'share of devices speaking MQTT 5', '0.3')
    .option('--telemetry-seconds <s>', 'telemetry interval per device', '10')
    .option('--reconnect-seconds <s>', 'mean time between voluntary reconnects; 0 never', '120')
    .option('--prefix <prefix>', 'client id prefix', 'device')
    .option('--ledger-dir <dir>', 'ledger folder (default: <sandbox home>/ledger)')
    .action(async (raw: Record<string, unknown>) => {
      const parsed = optionsSchema.safeParse(raw, { error: plainError });
      if (!parsed.success) {
        const problems = parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`);
        throw new CliError(`sandbox fleet: ${problems.join('; ')}`);
      }
      const options = parsed.data;
      const config = loadSandboxConfig();
      const dns = options.dns ? undefined : await dnsFromMoto(config);
      const fleet = startFleet({
        devices: options.devices,
        mqtt5Share: options.mqtt5Share,
        dns: { server: options.dns ?? dns!.address, recordName: SANDBOX_NAMES.recordName },
        brokers: sandboxBrokerTargets(config),
        idPrefix: options.prefix,
        telemetryIntervalMs: options.telemetrySeconds * 1000,
        reconnectEveryMs: options.reconnectSeconds * 1000,
        ledgerDir: options.ledgerDir ?? sandboxLedgerDir(config),
      });
      const printer = setInterval(() => console.log(JSON.stringify(fleet.snapshot())), 5000);
      await untilSignal();
      clearInterval(printer);
      await fleet.stop();
      await dns?.stop();
      console.log(JSON.stringify(fleet.snapshot()));
    });
}

/** A DNS server on a free port, answering from the sandbox's hosted zone in moto. */
async function dnsFromMoto(config: SandboxConfig): Promise<DnsServerHandle> {
  const aws = sandboxAws(config);
  const hostedZoneId = await findHostedZoneId(aws, SANDBOX_NAMES.zoneName);
  if (!hostedZoneId) {
    throw new CliError(
      `no hosted zone ${SANDBOX_NAMES.zoneName} in moto: create the resources first`,
    );
  }
  return startDnsServer({ recordName: SANDBOX_NAMES.recordName, route53: { aws, hostedZoneId } });
}
