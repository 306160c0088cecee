import { readFileSync } from 'node:fs';
import path from 'node:path';

import {
  issueClientCertificate,
  loadSandboxConfig,
  pkiDir,
  sandboxEndpoints,
  TOOLS,
  type SandboxConfig,
} from '../../sandbox';

/** The shared test stack's configuration (jest.config.js sets its ports and folder). */
export function testSandbox(): SandboxConfig {
  return loadSandboxConfig();
}

/** Addresses of the shared test stack. */
export function testEndpoints(): ReturnType<typeof sandboxEndpoints> {
  return sandboxEndpoints(testSandbox());
}

/** TLS options for a client of the IoT Core stand-in, with a certificate from the customer CA. */
export function iotCoreTls(clientName = 'test-client'): { ca: Buffer; cert: Buffer; key: Buffer } {
  const dir = pkiDir(testSandbox());
  const files = issueClientCertificate(dir, clientName);
  return {
    ca: readFileSync(path.join(dir, 'ca.crt')),
    cert: readFileSync(files.cert),
    key: readFileSync(files.key),
  };
}

/** The installed time-skipping test server; tests never let the SDK download one. */
export function timeSkippingServer(): { type: 'existing-path'; path: string } {
  return { type: 'existing-path', path: TOOLS.temporalTestServer.file };
}

/** Options for an AWS SDK client aimed at the test stack's moto, with static credentials (the
 * SDK's default chain may ask the instance metadata address, which tests must never reach). */
export function emulatorOptions(): {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
} {
  return {
    endpoint: testEndpoints().awsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' },
  };
}
