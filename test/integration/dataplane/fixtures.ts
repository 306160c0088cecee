import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { type AwsTarget, type SandboxResourcesDescription } from '../../../sandbox/dataplane';
import { testEndpoints } from '../../support/sandbox';

/**
 * moto keeps ECS and CloudWatch per region, and other developers' tests use us-east-1 on the
 * same emulator, so these tests work in a region of their own and never see foreign data.
 */
export function testAws(): AwsTarget {
  return { endpoint: testEndpoints().awsEndpoint, region: 'eu-west-3' };
}

/** A name no other test run uses (Route 53 zones are global in moto). */
export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(16).slice(2, 6)}`;
}

/** A fresh folder under the OS temp dir. */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

/** A port nobody listens on right now, found by binding 127.0.0.1:0. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

/** DNS names and resources of one test, unique so tests may run side by side. */
export function resourcesFixture(
  overrides: Partial<SandboxResourcesDescription> = {},
): SandboxResourcesDescription {
  const zone = `${unique('z')}.sandbox.`;
  return {
    zoneName: zone,
    recordName: `mqtt.${zone}`,
    targets: { legacy: `legacy.${zone}`, 'iot-core': `iot-core.${zone}` },
    weights: { legacy: 100, 'iot-core': 0 },
    ttlSeconds: 5,
    cluster: unique('cluster'),
    services: [],
    ...overrides,
  };
}

/** Waits until `check` holds, failing with `what` after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
