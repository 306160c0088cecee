import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { NativeConnection, type Worker } from '@temporalio/worker';

import { bridgeServiceDescription, createSandboxResources } from '../../../sandbox/dataplane';
import { issueClientCertificate, pkiDir } from '../../../sandbox';
import { createFleetWorker } from '../../../workers/worker';
import { type MigrationStatus, TASK_QUEUE } from '../../../workflows/api';
import { testEndpoints, testSandbox } from '../../support/sandbox';
import { launchChromium } from './browser';
import {
  cliStatus,
  closedPort,
  eventually,
  fleetshift,
  ROOT,
  signalFromUi,
  startFromUi,
} from './cli-runner';
import { freshNamespace } from './namespace';

// The real fleetMigration, with the real activities, in a namespace of its own so its task
// queue 'fleetshift' is not shared with other developers' workers on the test server.
const NAMESPACE = 'fleetshift-operator-real';
const ZONE = 'operator-e2e.sandbox.';
const CLUSTER = 'operator-e2e';
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'operator');
const execFileAsync = promisify(execFile);

jest.setTimeout(180_000);

/**
 * The tiniest plan the real activities complete against the test sandbox: both brokers are
 * checked, the bridge services are scaled in moto, no backend service moves, and the devices
 * phase has two steps that each wait at a gate, with no soak.
 * LIMITATION: no ECS agent runs in this test, so the bridge is scaled in moto only and the
 * canary probe through it is disabled; the bridge's own tests prove forwarding.
 */
function tinyPlan(): Record<string, unknown> {
  const { legacyBrokerUrl, iotCoreBrokerUrl, awsEndpoint } = testEndpoints();
  const dir = pkiDir(testSandbox());
  const client = issueClientCertificate(dir, 'operator-e2e');
  return {
    name: 'operator-e2e',
    brokers: {
      legacy: { url: legacyBrokerUrl },
      iotCore: {
        url: iotCoreBrokerUrl,
        caFile: path.join(dir, 'ca.crt'),
        certFile: client.cert,
        keyFile: client.key,
      },
    },
    aws: { endpoint: awsEndpoint },
    bridge: {
      cluster: CLUSTER,
      deviceToBackend: { service: 'op-e2e-bridge-d2b' },
      backendToDevice: { service: 'op-e2e-bridge-b2d' },
    },
    backends: { cluster: CLUSTER, services: [] },
    dns: {
      hostedZoneName: ZONE,
      recordName: `mqtt.${ZONE}`,
      stepsPercent: [1, 100],
      soakSeconds: 0,
      approvalStepsPercent: [1, 100],
      rollback: { stepPauseSeconds: 0 },
    },
    analysis: { missingData: 'ignore' },
    canary: { enabled: false },
  };
}

describe('the operator path with the real fleetMigration workflow', () => {
  const { temporalAddress, temporalUiUrl, awsEndpoint } = testEndpoints();
  const env = { TEMPORAL_ADDRESS: temporalAddress, TEMPORAL_NAMESPACE: NAMESPACE };
  const id = `operator-real-${Date.now()}`;
  let connection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    // The activities' AWS clients must never ask the instance metadata address.
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    mkdirSync(ARTIFACTS, { recursive: true });
    await freshNamespace(temporalAddress, NAMESPACE);
    await createSandboxResources(
      { endpoint: awsEndpoint },
      {
        zoneName: ZONE,
        recordName: `mqtt.${ZONE}`,
        targets: { legacy: 'legacy.broker.sandbox.', 'iot-core': 'iot-core.broker.sandbox.' },
        cluster: CLUSTER,
        services: [
          bridgeServiceDescription('op-e2e-bridge-d2b', 'unused.json', 0),
          bridgeServiceDescription('op-e2e-bridge-b2d', 'unused.json', 0),
        ],
      },
    );
    connection = await NativeConnection.connect({ address: temporalAddress });
    worker = await createFleetWorker({ connection, namespace: NAMESPACE });
    running = worker.run();
  });

  afterAll(async () => {
    // The last test aborts it; this covers a failure before that.
    await fleetshift(env, 'abort', '--id', id, '--reason', 'test cleanup');
    worker?.shutdown();
    await running;
    await connection?.close();
  });

  it('says clearly when no migration is running', async () => {
    const none = await fleetshift(env, 'status');
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      `fleetshift: no running fleetMigration in namespace '${NAMESPACE}'; start one or pass --id\n`,
    );
  });

  it('starts from the UI, waits at the first gate, and takes the UI approval', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await startFromUi(page, temporalUiUrl, {
        namespace: NAMESPACE,
        id,
        taskQueue: TASK_QUEUE,
        plan: tinyPlan(),
      });
      const waiting = await eventually(
        () => cliStatus(env, id),
        (status) => status.waitingGate !== null || status.state === 'Failed',
        90_000,
      );
      expect(waiting).toMatchObject({ phase: 'Devices', state: 'WaitingForApproval' });
      const firstGate = waiting.waitingGate?.gate as string;

      await signalFromUi(page, temporalUiUrl, {
        namespace: NAMESPACE,
        id,
        signal: 'approve',
        input: { by: 'ui-operator', reason: 'first step looks fine' },
      });
      const next = await eventually(
        () => cliStatus(env, id),
        (status) => (status.waitingGate?.gate ?? firstGate) !== firstGate,
        60_000,
      );
      expect(next.dnsWeights).toEqual({ legacy: 99, iotCore: 1 });
      expect(next.decisions).toContainEqual(
        expect.objectContaining({ kind: 'Approved', by: 'ui-operator' }),
      );
      await page.screenshot({ path: path.join(ARTIFACTS, 'real-migration-ui.png') });
    } finally {
      await browser.close();
    }

    // Without --id the CLI picks the most recent running migration: this one.
    const text = await fleetshift(env, 'status');
    expect(text.stdout).toContain(`migration ${id}  (plan operator-e2e)`);
    expect(text.stdout).toContain('dns weights  legacy 99  iot-core 1');
    const history = await fleetshift(env, 'history', '--id', id);
    expect(history.stdout).toMatch(/Approved\s+by ui-operator/);
  });

  it('reports the weights the activities set, read back from the workflow histories', async () => {
    const file = path.join(ARTIFACTS, 'real-migration-report.html');
    const written = await fleetshift(env, 'report', id, '--out', file);
    expect(written.code).toBe(0);
    const html = readFileSync(file, 'utf8');
    // Start at 0 %, the 1 % step from the setDnsWeights history, then the current value.
    const points =
      /<polyline points="([^"]+)" fill="none" stroke="#0969da" stroke-width="2.5"/.exec(html);
    expect(points?.[1].split(' ').length).toBeGreaterThanOrEqual(4);
    expect(html).toMatch(/<tr class="approval">.*Approved by ui-operator/);

    const browser = await launchChromium();
    try {
      const page = await browser.context.newPage();
      await page.goto(pathToFileURL(file).href);
      expect(await page.locator('h1').textContent()).toBe(`Migration ${id}`);
      await page.screenshot({
        path: path.join(ARTIFACTS, 'real-migration-report.png'),
        fullPage: true,
      });
    } finally {
      await browser.close();
    }
  });

  it('refuses a signal that cannot apply, naming the state', async () => {
    const refused = await fleetshift(env, 'resume', '--id', id);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `resume refused for migration '${id}': it is in phase Devices, WaitingForApproval at gate 'dns-100'`,
    );
  });

  it('names the missing migration, the unreachable address and the unknown namespace', async () => {
    const missing = await fleetshift(env, 'status', '--id', `${id}-nope`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`migration not found: no workflow with id '${id}-nope'`);

    const address = `127.0.0.1:${await closedPort()}`;
    const unreachable = await fleetshift(env, 'status', '--address', address);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain(`Temporal unreachable at ${address}`);

    const unknown = await fleetshift(env, 'status', '--namespace', 'fleetshift-no-such-namespace');
    expect(unknown.stderr).toContain("namespace 'fleetshift-no-such-namespace' does not exist");
  });

  it('follows the migration with status --watch while an abort undoes the devices phase', async () => {
    const watching = execFileAsync(
      'node',
      ['bin/fleetshift.js', 'status', '--id', id, '--watch', '--json', '--interval', '0.5'],
      { cwd: ROOT, env: { ...process.env, ...env } },
    );
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const abort = await fleetshift(env, 'abort', '--id', id, '--by', 'carol', '--reason', 'enough');
    expect(abort.stdout).toContain(`abort sent to migration ${id} by carol`);

    const { stdout } = await watching;
    const frames = stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { status: MigrationStatus }).status);
    expect(frames[0].state).toBe('WaitingForApproval');
    const last = frames[frames.length - 1];
    expect(last).toMatchObject({ state: 'Aborted', dnsWeights: { legacy: 100, iotCore: 0 } });
    expect(last.endReason).toContain('enough');
  });

  it('starts a migration from a plan file with the CLI, and refuses the same id twice', async () => {
    const file = path.join(ARTIFACTS, 'tiny-plan.json');
    writeFileSync(file, JSON.stringify(tinyPlan(), null, 2));
    const cliId = `${id}-cli`;
    const started = await fleetshift(env, 'start', file, '--id', cliId);
    expect(started.stdout).toContain(`started migration ${cliId} (task queue fleetshift)`);
    const again = await fleetshift(env, 'start', file, '--id', cliId);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`a migration with id '${cliId}' is already running`);

    const running = await eventually(
      () => cliStatus(env, cliId),
      (status) => status.waitingGate !== null,
      60_000,
    );
    expect(running).toMatchObject({ plan: 'operator-e2e', phase: 'Devices' });
    await fleetshift(env, 'abort', '--id', cliId, '--reason', 'test cleanup');
  });
});
