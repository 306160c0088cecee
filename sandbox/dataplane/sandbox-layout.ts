import { readFileSync } from 'node:fs';
import path from 'node:path';

import { issueClientCertificate } from '../certificates';
import { type SandboxConfig, sandboxEndpoints } from '../config';
import { pkiDir } from '../services';
import { type AwsTarget } from './aws-clients';
import { type BrokerTarget } from './broker-resolver';
import { type BrokerName } from './fleet-counters';

/** The sandbox's default DNS names (both brokers share 127.0.0.1; the target picks the port). */
export const SANDBOX_NAMES = {
  zoneName: 'fleet.sandbox.',
  recordName: 'mqtt.fleet.sandbox.',
  targets: { legacy: 'legacy.broker.sandbox.', 'iot-core': 'iot-core.broker.sandbox.' },
} as const satisfies {
  zoneName: string;
  recordName: string;
  targets: Record<BrokerName, string>;
};

/** Client TLS material from the customer CA, issued once under `name`. */
export function sandboxClientTls(
  config: SandboxConfig,
  name: string,
): { ca: Buffer; cert: Buffer; key: Buffer } {
  const dir = pkiDir(config);
  const files = issueClientCertificate(dir, name);
  return {
    ca: readFileSync(path.join(dir, 'ca.crt')),
    cert: readFileSync(files.cert),
    key: readFileSync(files.key),
  };
}

/**
 * Both brokers of a sandbox as devices reach them. One shared fleet certificate serves every
 * device: the stand-in checks the CA, not the device's identity.
 */
export function sandboxBrokerTargets(
  config: SandboxConfig,
  certificateName = 'sandbox-fleet',
): Record<BrokerName, BrokerTarget> {
  const endpoints = sandboxEndpoints(config);
  return {
    legacy: { target: SANDBOX_NAMES.targets.legacy, url: endpoints.legacyBrokerUrl },
    'iot-core': {
      target: SANDBOX_NAMES.targets['iot-core'],
      url: endpoints.iotCoreBrokerUrl,
      tls: sandboxClientTls(config, certificateName),
    },
  };
}

/** The emulator of a sandbox, with the sandbox's static credentials. */
export function sandboxAws(config: SandboxConfig): AwsTarget {
  return { endpoint: sandboxEndpoints(config).awsEndpoint };
}

/** Where every data plane process writes its ledger file. */
export function sandboxLedgerDir(config: SandboxConfig): string {
  return path.join(config.home, 'ledger');
}

/**
 * Issues the data plane's shared client certificates before any process needs them, so that
 * backend instances started together do not race to write the same files.
 */
export function ensureDataplaneCertificates(config: SandboxConfig): void {
  for (const name of ['sandbox-fleet', 'sandbox-backend', 'sandbox-metrics']) {
    issueClientCertificate(pkiDir(config), name);
  }
}
