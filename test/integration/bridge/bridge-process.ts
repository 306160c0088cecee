import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import { PROJECT_ROOT } from '../../../sandbox';
import { BRIDGE_NODE_FLAGS } from '../../../workers/bridge-launch';
import { freePort } from '../../support/brokers';

/** A `fleetshift bridge` process started by a test, with its HTTP port and what it printed. */
export interface BridgeProcess {
  child: ChildProcess;
  port: number;
  exit: Promise<number | null>;
  stderr: () => string;
}

/**
 * `fleetshift bridge --config FILE` as the ECS agent runs it: the config (with a free HTTP
 * port and warn-level logs) is written to `file`; `nodeArgs` go after the bridge's own flags.
 */
export async function spawnBridgeProcess(
  input: unknown,
  file: string,
  nodeArgs: string[] = [],
): Promise<BridgeProcess> {
  const port = await freePort();
  writeFileSync(file, JSON.stringify({ ...(input as object), http: { port }, logLevel: 'warn' }));
  const child = spawn(
    process.execPath,
    [
      ...BRIDGE_NODE_FLAGS,
      ...nodeArgs,
      path.join(PROJECT_ROOT, 'bin/fleetshift.js'),
      'bridge',
      '--config',
      file,
    ],
    {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, AWS_EC2_METADATA_DISABLED: 'true' },
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, port, exit, stderr: () => stderr };
}

/** Whether the process answers `/healthz` with 200 now. */
export async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).status === 200;
  } catch {
    return false;
  }
}

/** Waits (20 s at most) until the process is healthy, then a moment for its SUBACK. */
export async function untilHealthy(bridge: BridgeProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await healthy(bridge.port))) {
    if (bridge.child.exitCode !== null || Date.now() > deadline) {
      throw new Error('bridge not healthy');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
}
