import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { Client, Connection } from '@temporalio/client';

import { isRunning, loadSandboxConfig, PROJECT_ROOT, sandboxEndpoints } from '../../../sandbox';

// This stack is the test's own: its own folder, and ports 10000 below the shared test stack's
// (the suite runs at offset 20000), which keeps them apart from it and from a developer's
// sandbox at the default ports, and below the kernel's range for outgoing ports.
const home = mkdtempSync(path.join(os.tmpdir(), 'fleetshift-cli-'));
const offset = Math.abs(Number(process.env.FLEETSHIFT_PORT_OFFSET ?? 20000) - 10000);
const env = { ...process.env, FLEETSHIFT_HOME: home, FLEETSHIFT_PORT_OFFSET: String(offset) };
const ownConfig = loadSandboxConfig(env);

function fleetshift(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
  const result = spawnSync('node', ['bin/fleetshift.js', ...args], {
    cwd: PROJECT_ROOT,
    env: { ...env, ...extraEnv },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function recordedPids(): number[] {
  const run = path.join(home, 'run');
  if (!existsSync(run)) return [];
  return readdirSync(run).map((f) => JSON.parse(readFileSync(path.join(run, f), 'utf8')).pid);
}

describe('fleetshift sandbox', () => {
  afterAll(() => {
    fleetshift(['sandbox', 'down']);
  });

  it('starts from cold, says so when already up, and stops every process it started', async () => {
    const up = fleetshift(['sandbox', 'up']);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/sandbox up in [\d.]+s/);
    const pids = recordedPids();
    expect(pids).toHaveLength(4);

    const again = fleetshift(['sandbox', 'up']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already up/);

    const status = fleetshift(['sandbox', 'status', '--json']);
    const services = JSON.parse(status.stdout).services as { name: string; state: string }[];
    expect(services.map((s) => [s.name, s.state])).toEqual([
      ['temporal', 'healthy'],
      ['moto', 'healthy'],
      ['legacy-broker', 'healthy'],
      ['iot-core', 'healthy'],
    ]);

    const down = fleetshift(['sandbox', 'down']);
    expect(down.code).toBe(0);
    expect(pids.filter(isRunning)).toEqual([]);
    expect(fleetshift(['sandbox', 'status']).code).toBe(3);
  }, 180_000);

  it('keeps workflow history across down and up', async () => {
    expect(fleetshift(['sandbox', 'up']).code).toBe(0);
    const address = sandboxEndpoints(ownConfig).temporalAddress;
    const workflowId = `kept-${Date.now()}`;
    let connection = await Connection.connect({ address });
    await new Client({ connection }).workflow.start('neverPolled', {
      taskQueue: 'nobody-listens',
      workflowId,
    });
    await connection.close();

    expect(fleetshift(['sandbox', 'down']).code).toBe(0);
    expect(fleetshift(['sandbox', 'up']).code).toBe(0);

    connection = await Connection.connect({ address });
    const described = await new Client({ connection }).workflow.getHandle(workflowId).describe();
    expect(described.status.name).toBe('RUNNING');
    await connection.close();
    expect(fleetshift(['sandbox', 'down']).code).toBe(0);
  }, 180_000);

  it('refuses a busy port in one line, naming the service and the port, starting nothing', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const busy = (blocker.address() as net.AddressInfo).port;

    const up = fleetshift(['sandbox', 'up'], { FLEETSHIFT_PORT_MOTO: String(busy) });
    blocker.close();

    expect(up.code).toBe(1);
    expect(up.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`port ${busy} for moto is busy`)),
    ]);
    expect(recordedPids()).toEqual([]);
  });

  it('says which tool is missing and how to install it', () => {
    const up = fleetshift(['sandbox', 'up'], { FLEETSHIFT_TOOLS_BIN: path.join(home, 'no-tools') });
    expect(up.code).toBe(1);
    expect(up.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/temporal is not installed .*run npm run setup/),
    ]);
  });

  it('rejects an unknown verb in one line', () => {
    const result = fleetshift(['sandbox', 'dance']);
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/unknown command 'dance'/),
    ]);
  });
});
