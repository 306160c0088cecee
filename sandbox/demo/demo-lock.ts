import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { type SandboxConfig } from '../config';
import { SandboxError } from '../errors';
import { isRunning } from '../processes';

/**
 * Claims the sandbox for one demo at a time: two demos would share brokers, ECS services and the
 * ledger folder, and each would wipe what the other counts. Returns the release function.
 */
export function claimDemo(config: SandboxConfig): () => void {
  const file = path.join(config.home, 'demo', 'demo.pid');
  mkdirSync(path.dirname(file), { recursive: true });
  const holder = readHolder(file);
  if (holder !== undefined && holder !== process.pid && isRunning(holder)) {
    throw new SandboxError(
      'DemoRunning',
      `a demo is already running on this sandbox (pid ${holder}); wait for it or stop it`,
    );
  }
  writeFileSync(file, String(process.pid));
  return () => rmSync(file, { force: true });
}

function readHolder(file: string): number | undefined {
  try {
    return Number(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
