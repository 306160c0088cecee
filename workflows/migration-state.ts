// The state the main workflow keeps: the status the query returns, the operator's pending
// requests, and what undoing a phase needs. Plain JSON, so continue-as-new can carry it over.
import { log } from '@temporalio/workflow';

import type { CreatedResource } from '../activities';
import type { MigrationPlan } from '../plan';
import type {
  Decision,
  DecisionKind,
  MigrationPhase,
  MigrationState,
  MigrationStatus,
  OperatorSignalArgs,
  RollbackRecord,
} from './api';
import { DECISION_MESSAGES } from './decisions';

/** Where the devices phase stands, so a continued run picks up at the right step. */
export interface DevicesCursor {
  /** Next step to apply. */
  nextStep: number;
  /** Index of the last step that soaked clean, or -1. */
  lastHealthyStep: number;
}

/** Analysis counts of one soak, and how far into the soak the migration is. */
export interface SoakCounters {
  failures: number;
  errors: number;
  elapsedSeconds: number;
}

/** Everything carried from one run to the next by continue-as-new. */
export interface MigrationMemory {
  status: MigrationStatus;
  /** Gates approved ahead of time. */
  approvals: string[];
  paused: boolean;
  /** Readiness resources preparation created, removed again if preparation is undone. */
  created: CreatedResource[];
  /** Desired counts of the bridge services before preparation scaled them. */
  bridgeBefore: { deviceToBackend: number; backendToDevice: number } | null;
  /**
   * Desired count of the legacy broker service before cleanup decommissioned it, restored if
   * cleanup is undone. Absent in memories carried over from runs before it was kept.
   */
  legacyBrokerBefore?: number | null;
  devices: DevicesCursor;
  /** Counters of the soak in progress; reset whenever the weights change. */
  soak: SoakCounters;
  /** How often each phase has been retried after a failure, for unique child ids. */
  attempts: number;
}

/** A fresh memory for a plan. */
export function newMemory(
  name: string,
  services: MigrationPlan['backends']['services'],
  now: string,
): MigrationMemory {
  return {
    status: {
      plan: name,
      phase: 'Pending',
      state: 'Running',
      step: null,
      waitingGate: null,
      dnsWeights: { legacy: 100, iotCore: 0 },
      services: services.map((s) => ({
        name: s.name,
        state: 'Pending',
        originalCount: s.instances,
        legacyCount: s.instances,
        migratedCount: 0,
      })),
      lastAnalysis: null,
      decisions: [],
      rollbacks: [],
      endReason: null,
      startedAt: now,
      updatedAt: now,
    },
    approvals: [],
    paused: false,
    created: [],
    bridgeBefore: null,
    legacyBrokerBefore: null,
    devices: { nextStep: 0, lastHealthyStep: -1 },
    soak: { failures: 0, errors: 0, elapsedSeconds: 0 },
    attempts: 0,
  };
}

/** Workflow time as ISO 8601 (deterministic: Date is Temporal's clock inside workflows). */
export function nowIso(): string {
  return new Date().toISOString();
}

/** Moves the status to a phase and state, and logs the transition. */
export function enter(memory: MigrationMemory, phase: MigrationPhase, state: MigrationState): void {
  const from = `${memory.status.phase}/${memory.status.state}`;
  memory.status.phase = phase;
  memory.status.state = state;
  memory.status.updatedAt = nowIso();
  log.info('migration transition', { plan: memory.status.plan, from, to: `${phase}/${state}` });
}

/** Records a decision with who, why and the numbers behind it. */
export function decide(
  memory: MigrationMemory,
  kind: DecisionKind,
  who: OperatorSignalArgs,
  numbers?: Record<string, number>,
): Decision {
  const decision: Decision = {
    at: nowIso(),
    kind,
    by: who.by,
    reason: who.reason || DECISION_MESSAGES[kind],
    phase: memory.status.phase,
    ...(numbers ? { numbers } : {}),
  };
  memory.status.decisions.push(decision);
  memory.status.updatedAt = decision.at;
  log.info(DECISION_MESSAGES[kind], { kind, by: who.by, reason: decision.reason, ...numbers });
  return decision;
}

/** Records a rollback. */
export function recordRollback(
  memory: MigrationMemory,
  rollback: Omit<RollbackRecord, 'at'>,
): void {
  memory.status.rollbacks.push({ at: nowIso(), ...rollback });
  log.warn('rolled back', { phase: rollback.phase, from: rollback.from, to: rollback.to });
}
