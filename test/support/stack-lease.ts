import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { sleep } from '../../sandbox/health';
import { isRunning } from '../../sandbox/processes';

/**
 * Several jest runs may share the test stack (two terminals, or two jest projects). Each run
 * holds a lease, a file named after its pid; the stack is stopped only when the last live lease
 * goes. Starting and stopping happen under a lock so two runs never start it twice.
 */
export function leaseDir(home: string): string {
  return path.join(home, 'leases');
}

/** Records that the process `pid` uses the stack. */
export function takeLease(home: string, pid = process.pid): void {
  mkdirSync(leaseDir(home), { recursive: true });
  writeFileSync(path.join(leaseDir(home), String(pid)), '');
}

/** Drops the lease of `pid` and returns how many live leases remain. */
export function dropLease(home: string, pid = process.pid): number {
  rmSync(path.join(leaseDir(home), String(pid)), { force: true });
  return liveLeases(home);
}

function liveLeases(home: string): number {
  let live = 0;
  for (const name of safeList(leaseDir(home))) {
    if (isRunning(Number(name))) live += 1;
    else rmSync(path.join(leaseDir(home), name), { force: true });
  }
  return live;
}

/** Runs `work` while holding the stack lock (a directory, created atomically). */
export async function withStackLock<T>(home: string, work: () => Promise<T>): Promise<T> {
  const lock = path.join(home, 'stack.lock');
  mkdirSync(home, { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(path.join(lock, 'owner'), String(process.pid));
      break;
    } catch {
      // A run killed while holding the lock leaves it behind; its dead owner frees it.
      if (ownerIsGone(lock)) rmSync(lock, { recursive: true, force: true });
      else await sleep(200);
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function ownerIsGone(lock: string): boolean {
  try {
    return !isRunning(Number(readFileSync(path.join(lock, 'owner'), 'utf8')));
  } catch {
    // No owner file yet: the holder is between mkdir and write, or died there. Give it time.
    try {
      return Date.now() - statSync(lock).mtimeMs > 5000;
    } catch {
      return false; // the lock went away meanwhile; the next mkdir decides
    }
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
