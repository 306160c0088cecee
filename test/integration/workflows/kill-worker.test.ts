import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

import {
  DescribeCACertificateCommand,
  ListDomainConfigurationsCommand,
  ListTopicRulesCommand,
} from '@aws-sdk/client-iot';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';

import { awsClients, describeServiceCounts, readDnsWeights } from '../../../activities';
import { type MigrationPlan } from '../../../plan';
import {
  approveSignal,
  fleetMigration,
  statusQuery,
  type MigrationStatus,
} from '../../../workflows';
import { testEndpoints } from '../../support/sandbox';
import {
  killWorkerProcesses,
  standbyWorkerProcess,
  startWorkerProcess,
} from '../../support/worker-process';
import { scheduledActivities } from './activity-history';
import { BRIDGE_BASE, INSTANCES, motoMigration, SERVICES } from './moto-migration';

// A worker killed in the middle of an activity is noticed only when the activity's 30 s
// start-to-close timeout runs out, one killed between tasks after the 10 s sticky queue
// timeout; the rest of the run takes about 10 s.
jest.setTimeout(120_000);

const address = testEndpoints().temporalAddress;
let client: Client;
let migration: WorkflowHandle<typeof fleetMigration> | undefined;

beforeAll(async () => {
  client = new Client({ connection: await Connection.connect({ address }) });
});

afterAll(async () => {
  // Also after a failed expectation: no worker outlives the test.
  await killWorkerProcesses();
  // A failed test leaves its run waiting for a worker; a finished run refuses, which is fine.
  await migration?.terminate('test over').catch(() => undefined);
  await client?.connection.close();
});

describe('a worker process killed with SIGKILL', () => {
  it('is replaced and the migration ends applying nothing twice, an offline approval kept', async () => {
    const plan = await motoMigration();
    const taskQueue = `kill-${randomUUID()}`;

    // Kill 1: right after the first change of the bridge's count reached ECS, before Temporal
    // heard of it. The retry must not add that capacity a second time.
    const first = await startWorkerProcess({
      address,
      taskQueue,
      dieAfter: 'setBridgeCapacity',
    });
    const handle = await client.workflow.start(fleetMigration, {
      args: [plan],
      taskQueue,
      workflowId: taskQueue,
    });
    migration = handle;
    const second = await standbyWorkerProcess({ address, taskQueue });
    expect(await first.ended).toBe('SIGKILL');

    // Kill 2: while the migration waits at the gate before 100 percent.
    await second.run();
    const third = await standbyWorkerProcess({ address, taskQueue });
    const atGate = await waitForStatus(handle, (s) => s.state === 'WaitingForApproval');
    expect(atGate.waitingGate?.gate).toBe('dns-100');
    expect(await second.kill()).toBe('SIGKILL');

    await expectWorldAtGate(plan);
    // Sent while no worker runs: Temporal keeps it for the next one.
    await handle.signal(approveSignal, { by: 'kill-test', reason: 'approved with no worker up' });

    await third.run();
    const status = await within(60_000, handle.result(), 'no end after the offline approval');

    expect(status.state).toBe('Succeeded');
    expect(status.decisions).toEqual([
      expect.objectContaining({
        kind: 'Approved',
        by: 'kill-test',
        reason: 'dns-100: approved with no worker up',
        phase: 'Devices',
      }),
    ]);
    expect(status.dnsWeights).toEqual({ legacy: 0, iotCore: 100 });
    for (const service of status.services) {
      expect(service).toEqual({
        name: service.name,
        state: 'Succeeded',
        originalCount: INSTANCES,
        legacyCount: 0,
        migratedCount: INSTANCES,
      });
    }
    await expectWorldAtEnd(plan);
    await expectEachStepOnce(taskQueue);
  });
});

/** With no worker running, at the gate: every backend moved, the bridge sized for them. */
async function expectWorldAtGate(plan: MigrationPlan): Promise<void> {
  // One bridge instance per migrated backend instance on top of the base: a change applied
  // twice shows here, before the cleanup scales the bridge to zero.
  expect(await desired(plan, plan.bridge.deviceToBackend.service)).toBe(
    BRIDGE_BASE + SERVICES.length * INSTANCES,
  );
  expect(await desired(plan, plan.bridge.backendToDevice.service)).toBe(1);
  for (const service of plan.backends.services) {
    expect(await desired(plan, service.legacyService)).toBe(0);
    expect(await desired(plan, service.migratedService)).toBe(INSTANCES);
  }
  expect(await readDnsWeights({ aws: plan.aws, dns: plan.dns })).toEqual({
    legacy: 50,
    iotCore: 50,
  });
}

/** After the run: backends moved, bridge gone, devices on IoT Core, readiness there once. */
async function expectWorldAtEnd(plan: MigrationPlan): Promise<void> {
  expect(await desired(plan, plan.bridge.deviceToBackend.service)).toBe(0);
  expect(await desired(plan, plan.bridge.backendToDevice.service)).toBe(0);
  for (const service of plan.backends.services) {
    expect(await desired(plan, service.legacyService)).toBe(0);
    expect(await desired(plan, service.migratedService)).toBe(INSTANCES);
  }
  expect(await readDnsWeights({ aws: plan.aws, dns: plan.dns })).toEqual({
    legacy: 0,
    iotCore: 100,
  });

  const { iot, s3 } = awsClients(plan.aws);
  const { caCertificateFile, domainConfiguration, safetyNet } = plan.iotCore;
  expect(await caStatus(plan, caCertificateFile ?? '')).toBe('ACTIVE');
  const domains = await iot.send(new ListDomainConfigurationsCommand({}));
  const ours = domains.domainConfigurations?.filter(
    (d) => d.domainConfigurationName === domainConfiguration?.name,
  );
  expect(ours).toHaveLength(1);
  const rules = await iot.send(new ListTopicRulesCommand({}));
  expect(rules.rules?.filter((r) => r.ruleName === safetyNet?.ruleName)).toHaveLength(1);
  await s3.send(new HeadBucketCommand({ Bucket: safetyNet?.bucket }));
}

/**
 * From the histories: the killed step was retried rather than skipped, and no step was issued
 * twice (a restarted worker that forgot where it was would set the weights again, say).
 */
async function expectEachStepOnce(workflowId: string): Promise<void> {
  const activities = await scheduledActivities(client, workflowId);
  const named = (name: string): typeof activities => activities.filter((a) => a.name === name);

  expect(named('ensureIotCoreReadiness')).toHaveLength(1);
  const weights = named('setDnsWeights').map((a) => (a.input as { weights: unknown }).weights);
  expect(weights).toEqual([
    { legacy: 50, iotCore: 50 },
    { legacy: 0, iotCore: 100 },
  ]);
  // One per instance moved, and one when the backends phase ends.
  const bridgeChanges = named('setBridgeCapacity');
  expect(bridgeChanges).toHaveLength(SERVICES.length * INSTANCES + 1);
  expect(Math.max(...bridgeChanges.map((a) => a.attempt))).toBeGreaterThan(1);
}

/** The CA's status in IoT (moto names it by the SHA-256 of its PEM, AWS of its DER bytes). */
async function caStatus(plan: MigrationPlan, file: string): Promise<string | undefined> {
  const pem = readFileSync(file, 'utf8');
  const der = new X509Certificate(pem).raw;
  for (const bytes of [pem, der]) {
    const certificateId = createHash('sha256').update(bytes).digest('hex');
    try {
      const { iot } = awsClients(plan.aws);
      const found = await iot.send(new DescribeCACertificateCommand({ certificateId }));
      return found.certificateDescription?.status;
    } catch {
      // Not under this name; try the other.
    }
  }
  return undefined;
}

async function desired(plan: MigrationPlan, service: string): Promise<number> {
  const ref = { aws: plan.aws, cluster: plan.backends.cluster, service };
  return (await describeServiceCounts(ref)).desired;
}

/** What `promise` gives, or a failure saying `what` once `ms` have passed. */
async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(what)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls the status until `check` holds; a query fails while no worker has the workflow. */
async function waitForStatus(
  handle: WorkflowHandle<typeof fleetMigration>,
  check: (status: MigrationStatus) => boolean,
  timeoutMs = 90_000,
): Promise<MigrationStatus> {
  const deadline = Date.now() + timeoutMs;
  let last: MigrationStatus | string = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const status = await handle.query(statusQuery);
      if (check(status)) return status;
      last = status;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`status never matched; last: ${JSON.stringify(last)}`);
}
