import { type MigrationPhase, type MigrationStatus } from '../workflows/api';

/** The four working phases, in the order they run. */
export const WORKING_PHASES = ['Preparation', 'Backends', 'Devices', 'Cleanup'] as const;

/** One of the phases that do work (not Pending and not the terminal ones). */
export type WorkingPhase = (typeof WORKING_PHASES)[number];

/** How far one phase has come, from 0 to 1, and a few words on what that means. */
export interface PhaseProgress {
  phase: WorkingPhase;
  fraction: number;
  note: string;
}

/**
 * Progress of every working phase. Phases before the current one are done, later ones have not
 * started. Within a phase the figure comes from what the phase changes: migrated instances for
 * Backends, the IoT Core DNS weight for Devices, the step counter otherwise. After the run ended
 * the same evidence shows how far it got before stopping.
 */
export function phaseProgress(status: MigrationStatus): PhaseProgress[] {
  const current = currentIndex(status.phase);
  return WORKING_PHASES.map((phase, index) => {
    if (status.phase === 'Succeeded' || index < current)
      return { phase, fraction: 1, note: 'done' };
    if (index > current && current >= 0) return { phase, fraction: 0, note: '' };
    return measured(phase, status, index === current);
  });
}

function currentIndex(phase: MigrationPhase): number {
  return (WORKING_PHASES as readonly string[]).indexOf(phase);
}

function measured(phase: WorkingPhase, status: MigrationStatus, isCurrent: boolean): PhaseProgress {
  switch (phase) {
    case 'Backends': {
      const original = sum(status.services.map((s) => s.originalCount));
      const migrated = sum(status.services.map((s) => s.migratedCount));
      if (original === 0) return stepBased(phase, status, isCurrent);
      return {
        phase,
        fraction: migrated / original,
        note: `${migrated}/${original} instances migrated`,
      };
    }
    case 'Devices': {
      const total = status.dnsWeights.legacy + status.dnsWeights.iotCore;
      const share = total > 0 ? status.dnsWeights.iotCore / total : 0;
      const step =
        isCurrent && status.step ? `step ${status.step.index + 1}/${status.step.count}, ` : '';
      return { phase, fraction: share, note: `${step}${Math.round(share * 100)}% to IoT Core` };
    }
    default:
      return stepBased(phase, status, isCurrent);
  }
}

function stepBased(
  phase: WorkingPhase,
  status: MigrationStatus,
  isCurrent: boolean,
): PhaseProgress {
  if (!isCurrent || !status.step || status.step.count === 0) {
    return { phase, fraction: 0, note: isCurrent ? 'started' : '' };
  }
  const { index, count } = status.step;
  return { phase, fraction: index / count, note: `step ${index + 1}/${count}` };
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** A fixed-width text bar, for example `[#######-------------]`. */
export function progressBar(fraction: number, width = 20): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(clamped * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}
