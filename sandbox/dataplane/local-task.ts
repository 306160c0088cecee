import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';

/** What the agent knows about one running copy of a task definition's first container. */
export interface LocalTask {
  instanceId: string;
  taskDefinitionArn: string;
  child: ChildProcess;
  logFile: string;
  startedAt: number;
  /** Set once the agent asked it to stop, so its exit is not taken for a crash. */
  stopping: boolean;
  exited: Promise<number | null>;
}

/** How to start one instance. */
export interface LocalTaskSpec {
  instanceId: string;
  taskDefinitionArn: string;
  command: string[];
  environment: Record<string, string>;
  cwd: string;
  logDir: string;
}

/**
 * Starts the container command as a local process in its own process group, its output in
 * `<logDir>/<instanceId>.log`, with the task's environment and FLEETSHIFT_INSTANCE_ID.
 */
export function startLocalTask(spec: LocalTaskSpec): LocalTask {
  mkdirSync(spec.logDir, { recursive: true });
  const logFile = path.join(spec.logDir, `${spec.instanceId}.log`);
  const out = openSync(logFile, 'a');
  const [file, ...args] = spec.command;
  const child = spawn(file, args, {
    cwd: spec.cwd,
    env: {
      ...process.env,
      ...spec.environment,
      FLEETSHIFT_INSTANCE_ID: spec.instanceId,
      // Our processes never ask the instance metadata address for credentials.
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  return {
    instanceId: spec.instanceId,
    taskDefinitionArn: spec.taskDefinitionArn,
    child,
    logFile,
    startedAt: Date.now(),
    stopping: false,
    exited,
  };
}

/** True until the process exited. */
export function isAlive(task: LocalTask): boolean {
  return task.child.exitCode === null && task.child.signalCode === null;
}

/** SIGTERM to the task's process group, then SIGKILL after `graceMs`; resolves on exit. */
export async function stopLocalTask(task: LocalTask, graceMs: number): Promise<void> {
  task.stopping = true;
  if (!isAlive(task)) return;
  signalGroup(task, 'SIGTERM');
  const killer = setTimeout(() => signalGroup(task, 'SIGKILL'), graceMs);
  await task.exited;
  clearTimeout(killer);
}

function signalGroup(task: LocalTask, signal: NodeJS.Signals): void {
  const pid = task.child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* the group is gone already */
  }
}
