// A small migration on the shared test moto, with every kind of side effect the real activities
// apply: IoT Core readiness, bridge and backend ECS counts, weighted DNS. Names are unique per
// call, so tests sharing moto never see each other's resources.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { type MigrationPlan } from '../../../plan';
import { ensureCustomerCa } from '../../../sandbox';
import { createServices, createZone, testPlan, uniqueSuffix } from '../activities/fixtures';

/** Backend services of the migration, each moving two instances one at a time. */
export const SERVICES = ['telemetry', 'commands'] as const;

/** Instances of each backend service. */
export const INSTANCES = 2;

/** Device-to-backend bridge instances before the first backend instance moves. */
export const BRIDGE_BASE = 1;

/** A plan whose gate waits before 100 percent, and the resources it needs, created in moto. */
export async function motoMigration(): Promise<MigrationPlan> {
  const suffix = uniqueSuffix();
  const cluster = `kill-${suffix}`;
  // A CA of its own, so that registering it proves something even on a moto other tests used.
  const pki = ensureCustomerCa(mkdtempSync(path.join(os.tmpdir(), 'fleetshift-kill-')), suffix);
  const plan = testPlan({
    name: `kill-${suffix}`,
    bridge: {
      cluster,
      deviceToBackend: { service: 'bridge-d2b', instances: BRIDGE_BASE },
      backendToDevice: { service: 'bridge-b2d', instances: 1 },
      instancesPerMigratedInstance: 1,
      maxInstances: 10,
    },
    backends: {
      cluster,
      maxParallelServices: SERVICES.length,
      services: SERVICES.map((name) => ({
        name,
        legacyService: `${name}-legacy`,
        migratedService: `${name}-iot`,
        instances: INSTANCES,
        verifySeconds: 1,
      })),
    },
    dns: {
      hostedZoneName: `kill-${suffix}.sandbox.`,
      recordName: `mqtt.kill-${suffix}.sandbox.`,
      stepsPercent: [50, 100],
      soakSeconds: 1,
      approvalStepsPercent: [100],
    },
    // No analysis run falls inside this short test: moto has no metrics to judge.
    analysis: { intervalSeconds: 3600, missingData: 'ignore' },
    iotCore: {
      caCertificateFile: pki.ca.cert,
      domainConfiguration: { name: `kill_${suffix}` },
      safetyNet: { ruleName: `kill_${suffix}`, bucket: `kill-${suffix}` },
    },
    canary: { enabled: false },
    cleanup: { zeroTrafficWindowSeconds: 0 },
  });

  await createZone(plan.aws, plan.dns.hostedZoneName);
  await createServices(plan.aws, cluster, {
    'bridge-d2b': 0,
    'bridge-b2d': 0,
    ...Object.fromEntries(
      SERVICES.flatMap((s) => [
        [`${s}-legacy`, INSTANCES],
        [`${s}-iot`, 0],
      ]),
    ),
  });
  return plan;
}
