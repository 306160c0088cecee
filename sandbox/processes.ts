import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  closeSync,
} from 'node:fs';
import path from 'node:path';

import { sleep } from './health';

/** What the sandbox remembers about a process it started, in `<home>/run/<name>.json`. */
export interface ProcessRecord {
  name: string;
  pid: number;
  /** The program that was started; checked before a signal so a reused pid is left alone. */
  file: string;
  startedAt: string;
  logFile: string;
}

/** How to start one long-running program. */
export interface ProcessSpec {
  name: string;
  file: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a program in its own process group, detached from the caller, with its output in
 * `<home>/logs/<name>.log`, and records its pid so that a later command can stop it.
 */
export function startDetached(home: string, spec: ProcessSpec): ProcessRecord {
  const logFile = path.join(home, 'logs', `${spec.name}.log`);
  mkdirSync(path.dirname(logFile), { recursive: true });
  mkdirSync(path.join(home, 'run'), { recursive: true });

  const out = openSync(logFile, 'a');
  const child = spawn(spec.file, spec.args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  child.unref();

  if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.file})`);
  const record: ProcessRecord = {
    name: spec.name,
    pid: child.pid,
    file: spec.file,
    startedAt: new Date().toISOString(),
    logFile,
  };
  writeFileSync(recordFile(home, spec.name), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

/** The record of a process the sandbox started, if it is still running; stale records go. */
export function runningProcess(home: string, name: string): ProcessRecord | undefined {
  const file = recordFile(home, name);
  if (!existsSync(file)) return undefined;

  const record = JSON.parse(readFileSync(file, 'utf8')) as ProcessRecord;
  if (isOurs(record)) return record;
  rmSync(file, { force: true });
  return undefined;
}

/**
 * Stops a recorded process and its group: SIGTERM, then SIGKILL after `graceMs`. Only a pid
 * whose command line still names the program we started is signalled.
 */
export async function stopProcess(
  home: string,
  record: ProcessRecord,
  graceMs = 10_000,
): Promise<void> {
  signalGroup(record.pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isOurs(record) && Date.now() < deadline) await sleep(100);
  if (isOurs(record)) signalGroup(record.pid, 'SIGKILL');
  while (isOurs(record)) await sleep(50);
  rmSync(recordFile(home, record.name), { force: true });
}

function isOurs(record: ProcessRecord): boolean {
  if (!isRunning(record.pid)) return false;
  try {
    const cmdline = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8');
    return cmdline.split('\0').some((arg) => arg.endsWith(path.basename(record.file)));
  } catch {
    return false;
  }
}

/**
 * True while `pid` runs. A zombie (exited, not yet reaped by its parent) counts as gone: in a
 * container whose init does not reap, our detached processes linger as zombies for a while.
 */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group may already be gone; the pid alone is tried as a last resort.
    try {
      process.kill(pid, signal);
    } catch {
      /* already exited */
    }
  }
}

function recordFile(home: string, name: string): string {
  return path.join(home, 'run', `${name}.json`);
}
