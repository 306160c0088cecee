import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';

import { createFleetWorker } from '../../workers/worker';
import {
  approveSignal,
  MIGRATION_WORKFLOW_TYPE,
  type MigrationStatus,
  resumeSignal,
  statusQuery,
  TASK_QUEUE,
} from '../../workflows/api';
import { loadSandboxConfig, type SandboxConfig, sandboxEndpoints } from '../config';
import { SandboxError } from '../errors';
import { reconcileLedger, type LedgerReport } from '../dataplane';
import { sleep } from '../health';
import { resetBrokers } from '../broker-reset';
import { sandboxUp } from '../stack';
import { ChaosMonkey } from './demo-chaos';
import { claimDemo } from './demo-lock';
import { type DemoDataplane, startDemoDataplane } from './demo-dataplane';
import { loadDemoPlan } from './demo-plan';
import { progressLine } from './demo-progress';
import { buildDemoSummary, type DemoSummary } from './demo-summary';

/** Options of `fleetshift demo`. */
export interface DemoOptions {
  devices: number;
  chaos: boolean;
  /** Where progress lines go (stderr with --json, so stdout ends with the JSON alone). */
  progress: (line: string) => void;
  /** Aborted on Ctrl-C: the migration is terminated and the data plane stopped. */
  signal?: AbortSignal;
}

const TERMINAL_PHASES = new Set(['Succeeded', 'Aborted', 'Failed']);
const POLL_MS = 1000;
/** After the migration, how long in-flight messages may take to land before counting them. */
const SETTLE_TIMEOUT_MS = 60_000;
/** The chaos outage starts once devices soak at this IoT Core weight or more. */
const CHAOS_FROM_PERCENT = 25;

/**
 * The main job: a whole migration on the local sandbox. Brings the sandbox up, starts the data
 * plane and a worker, starts `fleetMigration` with examples/sandbox.yaml, approves the gates as
 * `demo`, and at the end lets the ledger say whether any message was lost.
 */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const config = loadSandboxConfig();
  const startedAtMs = Date.now();
  await sandboxUp(config);
  const release = claimDemo(config);
  try {
    return await rehearse(config, options, startedAtMs);
  } finally {
    release();
  }
}

async function rehearse(
  config: SandboxConfig,
  options: DemoOptions,
  startedAtMs: number,
): Promise<DemoSummary> {
  await resetBrokers(config);
  const plan = loadDemoPlan(config);
  const say = options.progress;

  say(`sandbox up, brokers reset; starting ${options.devices} devices and the data plane`);
  const dataplane = await startDemoDataplane(config, plan, {
    devices: options.devices,
    reconnectEveryMs: 15_000,
    telemetryIntervalMs: 5_000,
  });
  const { address, stopWorker } = await startWorker(config);
  const connection = await Connection.connect({ address });
  const chaos = options.chaos
    ? new ChaosMonkey(dataplane.gateway, CHAOS_FROM_PERCENT, plan.analysis.windowSeconds)
    : undefined;

  try {
    const workflowId = `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const client = new Client({ connection });
    const handle = await client.workflow.start(MIGRATION_WORKFLOW_TYPE, {
      taskQueue: TASK_QUEUE,
      workflowId,
      args: [plan],
    });
    say(`migration ${workflowId} started: ${sandboxEndpoints(config).temporalUiUrl}`);

    const interrupted = (): Promise<void> =>
      handle.terminate('demo interrupted').then(() => undefined);
    const status = await drive(handle, dataplane, {
      startedAtMs,
      chaos,
      say,
      signal: options.signal,
      interrupted,
    });
    const ledger = await settle(dataplane, say, options.signal);
    const fleet = dataplane.fleet.snapshot();
    return buildDemoSummary({
      workflowId,
      startedAtMs,
      status,
      plan,
      fleet,
      ledger,
      temporalUi: `${sandboxEndpoints(config).temporalUiUrl}/namespaces/default/workflows/${workflowId}`,
    });
  } finally {
    chaos?.end();
    await dataplane.stop();
    await connection.close();
    await stopWorker();
  }
}

type MigrationHandle = Awaited<ReturnType<Client['workflow']['start']>>;

/** Polls the status until the migration ends, approving gates and playing chaos on the way. */
interface DriveContext {
  startedAtMs: number;
  chaos?: ChaosMonkey;
  say: (line: string) => void;
  signal?: AbortSignal;
  interrupted: () => Promise<void>;
}

async function drive(
  handle: MigrationHandle,
  dataplane: DemoDataplane,
  { startedAtMs, chaos, say, signal, interrupted }: DriveContext,
): Promise<MigrationStatus> {
  const outcome = handle.result().then(
    () => 'done',
    (err: unknown) => (err instanceof WorkflowFailedError ? 'failed' : Promise.reject(err)),
  );
  let ended = false;
  void outcome.then(() => (ended = true));

  for (;;) {
    if (signal?.aborted) {
      await interrupted();
      throw new DemoInterrupted();
    }
    const status = await handle.query(statusQuery);
    const undelivered = undeliveredSoFar(dataplane);
    const elapsed = Math.round((Date.now() - startedAtMs) / 1000);
    say(progressLine(elapsed, status, dataplane.fleet.snapshot(), undelivered));

    if (ended || TERMINAL_PHASES.has(status.phase)) {
      await outcome;
      return handle.query(statusQuery);
    }
    if (status.state === 'WaitingForApproval' && status.waitingGate) {
      const { gate } = status.waitingGate;
      await handle.signal(approveSignal, {
        by: 'demo',
        reason: 'the demo approves its gates',
        gate,
      });
      say(`approved gate ${gate} as demo`);
    }
    if (chaos?.observe(status)) {
      await handle.signal(resumeSignal, { by: 'demo', reason: 'IoT Core stand-in recovered' });
      say('resumed after the automatic rollback: the IoT Core stand-in is back');
    }
    await sleep(POLL_MS);
  }
}

function undeliveredSoFar(dataplane: DemoDataplane): number {
  const report = reconcileLedger(dataplane.ledgerDir);
  return report['device-to-backend'].lost + report['backend-to-device'].lost;
}

/**
 * Stops new telemetry, then waits until every message sent so far has arrived (or the time is
 * up), so that what the ledger calls lost really is lost and not merely still in flight.
 */
async function settle(
  dataplane: DemoDataplane,
  say: (line: string) => void,
  signal?: AbortSignal,
): Promise<LedgerReport> {
  dataplane.fleet.quiesce();
  say('migration ended; waiting for in-flight messages to land');
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let report = reconcileLedger(dataplane.ledgerDir);
  while (Date.now() < deadline && lostIn(report) > 0 && !signal?.aborted) {
    await sleep(1000);
    report = reconcileLedger(dataplane.ledgerDir);
  }
  return report;
}

function lostIn(report: LedgerReport): number {
  return report['device-to-backend'].lost + report['backend-to-device'].lost;
}

/** Runs a fleetshift worker in this process, on the sandbox's Temporal. */
async function startWorker(
  config: SandboxConfig,
): Promise<{ address: string; stopWorker: () => Promise<void> }> {
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  // The demo prints its own progress, and handles Ctrl-C itself (to stop what it started).
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  const address = sandboxEndpoints(config).temporalAddress;
  const connection = await NativeConnection.connect({ address });
  const worker = await createFleetWorker({ connection });
  const running = worker.run();
  return {
    address,
    stopWorker: async () => {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
      await connection.close();
    },
  };
}

/** Ctrl-C during the demo: the migration was terminated and everything the demo started stopped. */
export class DemoInterrupted extends SandboxError {
  constructor() {
    super(
      'DemoInterrupted',
      'demo interrupted: the migration was terminated and the data plane stopped',
    );
  }
}
