import { execFile } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';

import { type Page } from 'playwright-core';

import { type MigrationStatus } from '../../../workflows/api';

const run = promisify(execFile);

/** The project root, where bin/fleetshift.js lives. */
export const ROOT = path.resolve(__dirname, '../../..');

/** What one run of the real `fleetshift` command printed, and its exit code. */
export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs the real `fleetshift` command with the given Temporal environment. */
export async function fleetshift(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run('node', ['bin/fleetshift.js', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const failed = err as CliResult;
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

/** `fleetshift status --id ID --json`, parsed. */
export async function cliStatus(env: NodeJS.ProcessEnv, id: string): Promise<MigrationStatus> {
  const result = await fleetshift(env, 'status', '--id', id, '--json');
  if (result.code !== 0) throw new Error(result.stderr);
  return (JSON.parse(result.stdout) as { status: MigrationStatus }).status;
}

/** Reads until `done` holds or the time is up; the last value goes into the failure. */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | string | undefined;
  while (Date.now() < deadline) {
    try {
      const value = await read();
      last = value;
      if (done(value)) return value;
    } catch (err) {
      // The worker may not have taken the first task yet; try again.
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`condition not met; last value: ${JSON.stringify(last)}`);
}

/** A loopback port that nothing listens on: bound once to find it, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Types into the Temporal UI's code editor without its bracket auto-completion. */
export async function typeJson(page: Page, editor: string, value: unknown): Promise<void> {
  await page.locator(editor).click();
  await page.keyboard.insertText(JSON.stringify(value));
  // The form validates the payload when the editor loses focus.
  await page.keyboard.press('Tab');
}

/** Starts a migration from the Temporal UI's Start Workflow form. */
export async function startFromUi(
  page: Page,
  uiUrl: string,
  form: { namespace: string; id: string; taskQueue: string; plan: unknown },
): Promise<void> {
  await page.goto(`${uiUrl}/namespaces/${form.namespace}/workflows/start-workflow`);
  await page.locator('#workflowId').fill(form.id);
  await page.locator('#taskQueue').fill(form.taskQueue);
  await page.locator('#workflowType').fill('fleetMigration');
  await typeJson(page, '[role=textbox][aria-label=Data]', form.plan);
  // The UI stays on the form after starting; callers check the workflow through the CLI.
  await page.getByTestId('start-workflow-button').click();
}

/** Sends a signal from the workflow page's Send a Signal form. */
export async function signalFromUi(
  page: Page,
  uiUrl: string,
  target: { namespace: string; id: string; signal: string; input: unknown },
): Promise<void> {
  await page.goto(`${uiUrl}/namespaces/${target.namespace}/workflows/${target.id}`);
  await page.getByRole('button', { name: 'More Actions' }).first().click();
  await page.locator('[data-testid=signal-button]:visible').click();
  // The UI lists the signals the worker registered for this workflow type.
  await page.locator('[data-testid=signal-select-button]:visible').click();
  const name = new RegExp(`^\\s*${target.signal}\\s*$`);
  await page.locator('[role=option]:visible', { hasText: name }).click();
  await typeJson(page, 'dialog[open] [role=textbox][aria-label=Data]', target.input);
  await page.locator('dialog[open] [data-testid=confirm-modal-button]').click();
}
