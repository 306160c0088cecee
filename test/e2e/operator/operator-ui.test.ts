import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

import { NativeConnection, Worker } from '@temporalio/worker';
import { type BrowserContext, type Page } from 'playwright-core';

import { type MigrationStatus } from '../../../workflows/api';
import { testEndpoints } from '../../support/sandbox';
import { launchChromium } from './browser';
import { freshNamespace } from './namespace';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'operator');
// The stand-in workflow runs on its own queue and namespace, so no other test's worker picks
// its tasks and no other test's migrations count as "the most recent running one".
const TASK_QUEUE = 'fleetshift-operator-e2e';
const NAMESPACE = 'fleetshift-operator-e2e';

jest.setTimeout(120_000);

/** Runs the real `fleetshift` command against the test sandbox's Temporal. */
async function fleetshift(
  ...args: string[]
): Promise<{ stdout: string; stderr: string; code: number }> {
  const env = {
    ...process.env,
    TEMPORAL_ADDRESS: testEndpoints().temporalAddress,
    TEMPORAL_NAMESPACE: NAMESPACE,
  };
  try {
    const { stdout, stderr } = await run('node', ['bin/fleetshift.js', ...args], {
      cwd: ROOT,
      env,
    });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const failed = err as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

async function cliStatus(id: string): Promise<MigrationStatus> {
  const result = await fleetshift('status', '--id', id, '--json');
  if (result.code !== 0) throw new Error(result.stderr);
  return (JSON.parse(result.stdout) as { status: MigrationStatus }).status;
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  let last: T | undefined;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch {
      // The worker may not have taken the first task yet; try again.
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`condition not met; last value: ${JSON.stringify(last)}`);
}

/** A loopback port that nothing listens on: bound once to find it, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Types into the Temporal UI's code editor without its bracket auto-completion. */
async function typeJson(page: Page, editor: string, value: unknown): Promise<void> {
  await page.locator(editor).click();
  await page.keyboard.insertText(JSON.stringify(value));
  // The form validates the payload when the editor loses focus.
  await page.keyboard.press('Tab');
}

describe('the operator path through the Temporal UI and the CLI', () => {
  const { temporalAddress, temporalUiUrl } = testEndpoints();
  const id = `operator-e2e-${Date.now()}`;
  let connection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let browser: { context: BrowserContext; close: () => Promise<void> };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await freshNamespace(temporalAddress, NAMESPACE);
    connection = await NativeConnection.connect({ address: temporalAddress });
    worker = await Worker.create({
      connection,
      namespace: NAMESPACE,
      taskQueue: TASK_QUEUE,
      workflowsPath: require.resolve('./contract-workflow'),
    });
    running = worker.run();
    browser = await launchChromium();
  });

  afterAll(async () => {
    // Already aborted by the last test when it passed; this covers a failure before it.
    await fleetshift('abort', '--id', id, '--reason', 'test cleanup');
    await browser?.close();
    worker?.shutdown();
    await running;
    await connection?.close();
  });

  it('says clearly when no migration is running', async () => {
    const none = await fleetshift('status');
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(
      `fleetshift: no running fleetMigration in namespace '${NAMESPACE}'; start one or pass --id\n`,
    );
  });

  it('starts a migration from the UI form, approves its first gate from the UI, and the CLI shows it', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${temporalUiUrl}/namespaces/${NAMESPACE}/workflows/start-workflow`);
    await page.locator('#workflowId').fill(id);
    await page.locator('#taskQueue').fill(TASK_QUEUE);
    await page.locator('#workflowType').fill('fleetMigration');
    await typeJson(page, '[role=textbox][aria-label=Data]', { name: 'ui-plan' });
    // The UI stays on the form after starting; the CLI below proves the workflow runs.
    await page.getByTestId('start-workflow-button').click();

    const waiting = await eventually(
      () => cliStatus(id),
      (status) => status.waitingGate?.gate === 'preparation-done',
    );
    expect(waiting).toMatchObject({ plan: 'ui-plan', state: 'WaitingForApproval' });

    await page.goto(`${temporalUiUrl}/namespaces/${NAMESPACE}/workflows/${id}`);
    await page.getByRole('button', { name: 'More Actions' }).first().click();
    await page.locator('[data-testid=signal-button]:visible').click();
    // The UI lists the signals the worker registered for this workflow type.
    await page.locator('[data-testid=signal-select-button]:visible').click();
    await page.locator('[role=option]:visible', { hasText: /^\s*approve\s*$/ }).click();
    await typeJson(page, 'dialog[open] [role=textbox][aria-label=Data]', {
      by: 'ui-operator',
      reason: 'preparation verified in the UI',
    });
    await page.locator('dialog[open] [data-testid=confirm-modal-button]').click();

    const approved = await eventually(
      () => cliStatus(id),
      (status) => status.waitingGate?.gate === 'devices-1',
    );
    expect(approved.decisions).toEqual([
      expect.objectContaining({
        kind: 'Approved',
        by: 'ui-operator',
        reason: 'preparation verified in the UI',
      }),
    ]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'temporal-ui-after-approve.png') });

    // Without --id the CLI picks the most recent running migration: this one.
    const text = await fleetshift('status');
    expect(text.stdout).toContain(`migration ${id}  (plan ui-plan)`);
    expect(text.stdout).toContain("waiting at 'devices-1'");
    const history = await fleetshift('history', '--id', id);
    expect(history.stdout).toMatch(
      /Approved\s+by ui-operator\n\s+why: preparation verified in the UI/,
    );
  });

  it('refuses a signal that cannot apply, naming the state', async () => {
    const refused = await fleetshift('resume', '--id', id);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `resume refused for migration '${id}': it is in phase Devices, WaitingForApproval at gate 'devices-1'`,
    );
  });

  it('names the address when Temporal is unreachable and the namespace when it is unknown', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const unreachable = await fleetshift('status', '--address', address);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain(`Temporal unreachable at ${address}`);
    const unknown = await fleetshift('status', '--namespace', 'fleetshift-no-such-namespace');
    expect(unknown.stderr).toContain("namespace 'fleetshift-no-such-namespace' does not exist");
  });

  it('says which migration is missing', async () => {
    const missing = await fleetshift('status', '--id', `${id}-nope`);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`migration not found: no workflow with id '${id}-nope'`);
  });

  it('writes a self-contained report that renders in the browser, with a screenshot kept', async () => {
    const file = path.join(ARTIFACTS, 'report.html');
    const written = await fleetshift('report', id, '--out', file);
    expect(written.code).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script|<link|src=|href=/i);

    const page = await browser.context.newPage();
    await page.goto(pathToFileURL(file).href);
    expect(await page.locator('h1').textContent()).toBe(`Migration ${id}`);
    expect(await page.locator('svg').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('tr.approval').count()).toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'report.png'), fullPage: true });
  });

  it('follows the migration with status --watch until an abort ends it', async () => {
    const env = {
      ...process.env,
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: NAMESPACE,
    };
    const watching = run(
      'node',
      ['bin/fleetshift.js', 'status', '--id', id, '--watch', '--json', '--interval', '0.5'],
      { cwd: ROOT, env },
    );
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const abort = await fleetshift('abort', '--id', id, '--by', 'carol', '--reason', 'enough');
    expect(abort.code).toBe(0);

    const { stdout } = await watching;
    const frames = stdout
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { status: MigrationStatus }).status);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    expect(frames[0].state).toBe('WaitingForApproval');
    expect(frames[frames.length - 1]).toMatchObject({ state: 'Aborted', endReason: 'enough' });
  });
});
